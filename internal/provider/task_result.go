package provider

import (
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// taskResultModel is what the API reports about a task; apimart_image and apimart_task share it.
type taskResultModel struct {
	Status        types.String `tfsdk:"status"`
	Progress      types.Int64  `tfsdk:"progress"`
	URL           types.String `tfsdk:"url"`
	URLs          types.List   `tfsdk:"urls"`
	ExpiresAt     types.String `tfsdk:"expires_at"`
	CreatedAt     types.String `tfsdk:"created_at"`
	CompletedAt   types.String `tfsdk:"completed_at"`
	EstimatedTime types.Int64  `tfsdk:"estimated_time"`
	ActualTime    types.Int64  `tfsdk:"actual_time"`
	ErrorCode     types.String `tfsdk:"error_code"`
	ErrorMessage  types.String `tfsdk:"error_message"`
}

// resultAttribute documents one attribute of taskResultModel, once for both schemas.
type resultAttribute struct {
	name        string
	kind        attributeKind
	description string
}

type attributeKind int

const (
	kindString attributeKind = iota
	kindInt64
	kindStringList
)

var taskResultAttributes = []resultAttribute{
	{"status", kindString, "The task status reported by the API: `submitted`, `pending`, `processing`, `completed`, " +
		"`failed` or `cancelled`. Any other value the API may add is kept as it is."},
	{"progress", kindInt64, "The task's progress, from 0 to 100."},
	{"url", kindString, "The URL of the first generated image; null until the task completes."},
	{"urls", kindStringList, "The URLs of every generated image, in order; empty until the task completes."},
	{"expires_at", kindString, "When the earliest result URL stops working, in RFC 3339. The API keeps results for a " +
		"limited time (24 to 72 hours); download or mirror them before this."},
	{"created_at", kindString, "When the task was created, in RFC 3339."},
	{"completed_at", kindString, "When the task completed, in RFC 3339."},
	{"estimated_time", kindInt64, "The API's estimate of the task's duration, in seconds."},
	{"actual_time", kindInt64, "How long the task took, in seconds."},
	{"error_code", kindString, "The API's error code when the task failed."},
	{"error_message", kindString, "The API's error message when the task failed."},
}

// pendingTaskResult is the state of a task that was just submitted.
func pendingTaskResult(sub *apimart.Submission) taskResultModel {
	status := sub.Status
	if status == "" {
		status = apimart.StatusSubmitted
	}
	return taskResultModel{
		Status:        types.StringValue(status),
		Progress:      types.Int64Value(0),
		URL:           types.StringNull(),
		URLs:          types.ListValueMust(types.StringType, nil),
		ExpiresAt:     types.StringNull(),
		CreatedAt:     types.StringNull(),
		CompletedAt:   types.StringNull(),
		EstimatedTime: secondsOrNull(sub.EstimatedTime),
		ActualTime:    types.Int64Null(),
		ErrorCode:     types.StringNull(),
		ErrorMessage:  types.StringNull(),
	}
}

// newTaskResult converts an API task into attribute values; what the API did not report is null.
func newTaskResult(t *apimart.Task) taskResultModel {
	urls := t.URLs()
	m := taskResultModel{
		Status:        types.StringValue(t.Status),
		Progress:      types.Int64Value(t.Progress),
		URL:           types.StringNull(),
		URLs:          stringList(urls),
		ExpiresAt:     rfc3339OrNull(t.ExpiresAt()),
		CreatedAt:     rfc3339OrNull(t.Created),
		CompletedAt:   rfc3339OrNull(t.Completed),
		EstimatedTime: secondsOrNull(t.EstimatedTime),
		ActualTime:    secondsOrNull(t.ActualTime),
		ErrorCode:     types.StringNull(),
		ErrorMessage:  types.StringNull(),
	}
	if len(urls) > 0 {
		m.URL = types.StringValue(urls[0])
	}
	if t.Error != nil {
		m.ErrorCode = stringOrNull(t.Error.Code)
		m.ErrorMessage = stringOrNull(t.Error.Message)
	}
	return m
}

// unknownTaskResult marks every reported value as "known after apply", for a plan that will
// collect an unfinished task.
func unknownTaskResult() taskResultModel {
	return taskResultModel{
		Status:        types.StringUnknown(),
		Progress:      types.Int64Unknown(),
		URL:           types.StringUnknown(),
		URLs:          types.ListUnknown(types.StringType),
		ExpiresAt:     types.StringUnknown(),
		CreatedAt:     types.StringUnknown(),
		CompletedAt:   types.StringUnknown(),
		EstimatedTime: types.Int64Unknown(),
		ActualTime:    types.Int64Unknown(),
		ErrorCode:     types.StringUnknown(),
		ErrorMessage:  types.StringUnknown(),
	}
}

// isTerminal reports whether the recorded status is terminal, so the API has nothing more to say.
func (m taskResultModel) isTerminal() bool {
	t := apimart.Task{Status: m.Status.ValueString()}
	return t.IsTerminal()
}

func stringList(values []string) types.List {
	elems := make([]attr.Value, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return types.ListValueMust(types.StringType, elems)
}

// stringListOrNull is null for no values, as a list that was never set.
func stringListOrNull(values []string) types.List {
	if values == nil {
		return types.ListNull(types.StringType)
	}
	return stringList(values)
}

func rfc3339OrNull(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

func secondsOrNull(d time.Duration) types.Int64 {
	if d <= 0 {
		return types.Int64Null()
	}
	return types.Int64Value(int64(d.Round(time.Second) / time.Second))
}

func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
