package apimart

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// GetTask reads the state of a task. Transient failures (connection errors, 429, 5xx but 501)
// are retried; a 404 means the task is unknown or past the server's retention (see IsNotFound).
func (c *Client) GetTask(ctx context.Context, taskID string) (*Task, error) {
	task, err := c.getTask(ctx, taskID)
	c.redactTask(task)
	return task, err
}

// checkTaskID refuses ids that cannot name a task, before anything is sent.
func checkTaskID(taskID string) error {
	if strings.TrimSpace(taskID) == "" || taskID == "." || taskID == ".." {
		return fmt.Errorf("task id %q is not a valid task id", taskID)
	}
	return nil
}

func (c *Client) getTask(ctx context.Context, taskID string) (*Task, error) {
	if err := checkTaskID(taskID); err != nil {
		return nil, err
	}
	status, body, err := c.get(ctx, c.endpoint("v1", "tasks", taskID))
	if err != nil {
		return nil, fmt.Errorf("reading task %s: %w", taskID, err)
	}
	task, err := decodeTask(status, body)
	if err != nil {
		return nil, fmt.Errorf("reading task %s: %w", taskID, c.redactErr(err))
	}
	if task.ID == "" {
		task.ID = taskID
	}
	return task, nil
}

// get performs a retried read and returns the status and body of a 2xx answer; any other status
// is an *APIError.
func (c *Client) get(ctx context.Context, u *url.URL) (int, []byte, error) {
	resp, err := c.send(ctx, request{kind: kindRead, method: http.MethodGet, url: u})
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, readErr := c.readResponse(resp)
	if !isSuccess(resp.StatusCode) {
		return 0, nil, c.redactAPIError(decodeError(resp.StatusCode, body))
	}
	return resp.StatusCode, body, readErr
}
