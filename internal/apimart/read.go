package apimart

import (
	"context"
	"encoding/json"
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

// Balance is the credit left on the key, in the deployment's unit (USD, CNY or tokens).
type Balance struct {
	Remaining float64
	Used      float64
	// Unlimited is set when the key has no quota; Remaining is then meaningless (the API sends -1).
	Unlimited bool
}

// Balance reads GET /v1/balance. A {"success":false} answer, which this endpoint sends with HTTP
// 200, becomes an *APIError.
func (c *Client) Balance(ctx context.Context) (*Balance, error) {
	status, body, err := c.get(ctx, c.endpoint("v1", "balance"))
	if err != nil {
		return nil, fmt.Errorf("reading the balance: %w", err)
	}
	balance, err := decodeBalance(status, body)
	if err != nil {
		return nil, fmt.Errorf("reading the balance: %w", c.redactErr(err))
	}
	return balance, nil
}

// get performs a retried read and returns the status and body of a 2xx answer; any other status
// is an *APIError.
func (c *Client) get(ctx context.Context, u *url.URL) (int, []byte, error) {
	resp, err := c.send(ctx, kindRead, http.MethodGet, u, nil, nil)
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

// balanceBody is the answer of GET /v1/balance; the credits fields were seen on some deployments.
type balanceBody struct {
	envelope
	RemainBalance  *flexNumber `json:"remain_balance"`
	UsedBalance    *flexNumber `json:"used_balance"`
	RemainCredits  *flexNumber `json:"remain_credits"`
	UsedCredits    *flexNumber `json:"used_credits"`
	UnlimitedQuota flexString  `json:"unlimited_quota"`
}

// decodeBalance reads the answer to a 2xx balance read.
func decodeBalance(status int, body []byte) (*Balance, error) {
	var b balanceBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, unexpected("the balance answer is not JSON", body)
	}
	if apiErr := b.failure(status, body); apiErr != nil {
		return nil, apiErr
	}
	remaining, used := firstOf(b.RemainBalance, b.RemainCredits), firstOf(b.UsedBalance, b.UsedCredits)
	if remaining == nil {
		return nil, unexpected("the balance answer has no remain_balance", body)
	}
	balance := &Balance{Remaining: float64(*remaining), Unlimited: isTrue(b.UnlimitedQuota) || *remaining == -1}
	if used != nil {
		balance.Used = float64(*used)
	}
	return balance, nil
}

func firstOf(values ...*flexNumber) *flexNumber {
	for _, v := range values {
		if v != nil {
			return v
		}
	}
	return nil
}
