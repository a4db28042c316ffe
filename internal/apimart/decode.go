package apimart

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The decoders below are pure functions over a body, so that they can be fuzzed without a server.
// They follow the API's documented variants and ignore unknown fields; a field of an unexpected
// JSON type reads as empty rather than failing the whole answer.

// snippetBytes is how much of an unexpected body an error quotes.
const snippetBytes = 200

// flexString reads a JSON string, number or boolean as text; anything else reads as "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		*s = ""
	case b[0] == '"':
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		*s = flexString(text)
	case b[0] == '{' || b[0] == '[' || string(b) == "null":
		*s = ""
	default:
		*s = flexString(b)
	}
	return nil
}

// flexNumber reads a JSON number, or a string holding one (an optional trailing "%" is allowed);
// anything else, NaN and infinities read as 0.
type flexNumber float64

func (n *flexNumber) UnmarshalJSON(b []byte) error {
	text := string(bytes.TrimSpace(b))
	if strings.HasPrefix(text, `"`) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		text = strings.TrimSuffix(strings.TrimSpace(s), "%")
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	*n = flexNumber(f)
	return nil
}

// seconds converts a count of seconds to a duration; negative values read as 0 and huge ones are
// capped so that the conversion cannot overflow.
func (n flexNumber) seconds() time.Duration {
	const maxSeconds = 100 * 365 * 24 * 3600
	return time.Duration(math.Min(math.Max(float64(n), 0), maxSeconds) * float64(time.Second))
}

// unixTime converts a unix timestamp to a time; 0 means "not reported". Values too large to be
// seconds are read as milliseconds, and anything larger still as not reported.
func (n flexNumber) unixTime() time.Time {
	f := float64(n)
	switch {
	case f <= 0:
		return time.Time{}
	case f < 1e11:
		return time.Unix(int64(f), 0).UTC()
	case f < 1e14:
		return time.UnixMilli(int64(f)).UTC()
	}
	return time.Time{}
}

func (n flexNumber) percent() int64 {
	return int64(math.Min(math.Max(float64(n), 0), 100))
}

// flexStrings reads a JSON string or an array of strings; empty strings are dropped.
type flexStrings []string

func (s *flexStrings) UnmarshalJSON(b []byte) error {
	var items []flexString
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
	default:
		var one flexString
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		items = []flexString{one}
	}
	*s = nil
	for _, item := range items {
		if item != "" {
			*s = append(*s, string(item))
		}
	}
	return nil
}

// envelope holds the fields that every APIMart answer may carry around its data.
type envelope struct {
	Code    flexString      `json:"code"`
	Message flexString      `json:"message"`
	Success flexString      `json:"success"`
	Error   json.RawMessage `json:"error"`
	Data    json.RawMessage `json:"data"`
}

// failure returns the API error an answer spells out ({"success":false}, an error object, or a
// code that is not a success code), or nil when it claims none.
func (e envelope) failure(status int, body []byte) *APIError {
	hasError := len(e.Error) > 0 && string(e.Error) != "null"
	failed := e.Success != "" && !isTrue(e.Success)
	if !hasError && !failed && isSuccessCode(e.Code) {
		return nil
	}
	return decodeError(status, body)
}

func isTrue(s flexString) bool {
	return strings.EqualFold(string(s), "true") || s == "1"
}

func isSuccessCode(code flexString) bool {
	switch strings.ToLower(string(code)) {
	case "", "200", "0", "success", "ok":
		return true
	}
	return false
}

// errorObject is the documented error object; code is an int on some pages, a string on others.
type errorObject struct {
	Code    flexString `json:"code"`
	Message flexString `json:"message"`
	Type    flexString `json:"type"`
}

// decodeError turns an error answer into an APIError. It always returns one: a body that is not
// the documented JSON is quoted in Snippet.
func decodeError(status int, body []byte) *APIError {
	apiErr := &APIError{StatusCode: status}
	var env envelope
	if json.Unmarshal(body, &env) == nil {
		apiErr.Code = string(env.Code)
		apiErr.Message = string(env.Message)
		var obj errorObject
		var text string
		switch {
		case json.Unmarshal(env.Error, &obj) == nil && obj != (errorObject{}):
			apiErr.Code, apiErr.Message, apiErr.Type = string(obj.Code), string(obj.Message), string(obj.Type)
		case json.Unmarshal(env.Error, &text) == nil && text != "":
			apiErr.Message = text
		}
	}
	if apiErr.Message == "" {
		apiErr.Snippet = snippet(body)
	}
	return apiErr
}

// snippet returns the start of a body for quoting in an error: at most snippetBytes of valid
// UTF-8 on one line, with runs of white space and control characters folded into single spaces.
func snippet(body []byte) string {
	body = body[:min(len(body), 2*snippetBytes)]
	text := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body), "\uFFFD"))
	text = strings.Join(strings.Fields(text), " ")
	if len(text) <= snippetBytes {
		return text
	}
	cut := snippetBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

// errUnexpectedBody is the root of every "the answer is not what the API documents" error.
var errUnexpectedBody = errors.New("unexpected APIMart answer")

func unexpected(what string, body []byte) error {
	return fmt.Errorf("%w: %s; the body begins with: %s", errUnexpectedBody, what, snippet(body))
}

// submitItem is one element of a submit answer's data, in any of the documented shapes.
type submitItem struct {
	TaskID        flexString `json:"task_id"`
	ID            flexString `json:"id"`
	Status        flexString `json:"status"`
	EstimatedTime flexNumber `json:"estimated_time"`
	TaskInfo      struct {
		EstimatedTime flexNumber `json:"estimated_time"`
	} `json:"task_info"`
}

// decodeSubmit reads the answer to a 2xx submit: shapes V1 (data array), V2 (data object with id
// and task_info) and V3 (string code). It returns an *APIError when the answer says it failed.
func decodeSubmit(status int, body []byte) (*Submission, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, unexpected("the submit answer is not JSON", body)
	}
	item, found := firstSubmitItem(env.Data)
	taskID := string(item.TaskID)
	if taskID == "" {
		taskID = string(item.ID)
	}
	if !found || strings.TrimSpace(taskID) == "" {
		if apiErr := env.failure(status, body); apiErr != nil {
			return nil, apiErr
		}
		return nil, unexpected("the submit answer has no task id", body)
	}
	estimate := item.TaskInfo.EstimatedTime
	if estimate <= 0 {
		estimate = item.EstimatedTime
	}
	return &Submission{TaskID: taskID, Status: string(item.Status), EstimatedTime: estimate.seconds()}, nil
}

// firstSubmitItem reads data as an object, or as an array whose first element with a task id wins.
func firstSubmitItem(data json.RawMessage) (submitItem, bool) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return submitItem{}, false
	}
	if data[0] == '[' {
		var items []submitItem
		if json.Unmarshal(data, &items) != nil {
			return submitItem{}, false
		}
		for _, it := range items {
			if it.TaskID != "" || it.ID != "" {
				return it, true
			}
		}
		return submitItem{}, false
	}
	var item submitItem
	if json.Unmarshal(data, &item) != nil {
		return submitItem{}, false
	}
	return item, true
}

// taskData is the data object of GET /v1/tasks/{id}.
type taskData struct {
	ID            flexString      `json:"id"`
	TaskID        flexString      `json:"task_id"`
	Status        flexString      `json:"status"`
	Progress      flexNumber      `json:"progress"`
	Created       flexNumber      `json:"created"`
	Completed     flexNumber      `json:"completed"`
	EstimatedTime flexNumber      `json:"estimated_time"`
	ActualTime    flexNumber      `json:"actual_time"`
	Error         json.RawMessage `json:"error"`
	Result        struct {
		Images []struct {
			URL       flexStrings `json:"url"`
			ExpiresAt flexNumber  `json:"expires_at"`
		} `json:"images"`
	} `json:"result"`
}

// decodeTask reads the answer to a 2xx task read. It returns an *APIError when the answer says it
// failed, and an error when it carries no status, since nothing can be decided without one.
func decodeTask(status int, body []byte) (*Task, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, unexpected("the task answer is not JSON", body)
	}
	var data taskData
	if err := unmarshalFirst(env.Data, &data); err != nil || strings.TrimSpace(string(data.Status)) == "" {
		if apiErr := env.failure(status, body); apiErr != nil {
			return nil, apiErr
		}
		return nil, unexpected("the task answer has no data.status", body)
	}
	task := &Task{
		ID:            string(data.ID),
		Status:        string(data.Status),
		Progress:      data.Progress.percent(),
		Created:       data.Created.unixTime(),
		Completed:     data.Completed.unixTime(),
		EstimatedTime: data.EstimatedTime.seconds(),
		ActualTime:    data.ActualTime.seconds(),
		Error:         decodeTaskError(data.Error),
	}
	if task.ID == "" {
		task.ID = string(data.TaskID)
	}
	for _, img := range data.Result.Images {
		if len(img.URL) > 0 {
			task.Images = append(task.Images, Image{URLs: img.URL, ExpiresAt: img.ExpiresAt.unixTime()})
		}
	}
	return task, nil
}

// unmarshalFirst decodes an object, or the first element of an array of objects.
func unmarshalFirst(data json.RawMessage, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("no data")
	}
	if data[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil || len(items) == 0 {
			return errors.New("no data element")
		}
		data = items[0]
	}
	return json.Unmarshal(data, v)
}

// decodeTaskError reads a task's error as an object or a plain message; nil when absent or empty.
func decodeTaskError(raw json.RawMessage) *TaskError {
	var obj errorObject
	if json.Unmarshal(raw, &obj) == nil && obj != (errorObject{}) {
		return &TaskError{Code: string(obj.Code), Message: string(obj.Message), Type: string(obj.Type)}
	}
	var text string
	if json.Unmarshal(raw, &text) == nil && text != "" {
		return &TaskError{Message: text}
	}
	return nil
}
