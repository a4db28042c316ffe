package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// Each function here turns a client error into a diagnostic that says what happened, what was
// kept, and what the user can do next.

func submitErrorDiagnostics(err error, data *providerData) diag.Diagnostics {
	var diags diag.Diagnostics
	if apimart.IsAmbiguousSubmit(err) {
		diags.AddError("Image request may have been charged",
			fmt.Sprintf("%s.\n\nNo task id came back, so nothing was saved in state. Check the task list or the balance "+
				"of your APIMart account before you apply again: applying again submits, and pays for, a new task.", err))
		return diags
	}
	if summary, detail, ok := accessErrorText(err, data); ok {
		diags.AddError(summary, detail)
		return diags
	}
	var apiErr *apimart.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 {
		diags.AddError("APIMart rejected the image request",
			fmt.Sprintf("%s.\n\nNo task was created and nothing was charged. Fix the configuration and apply again.", err))
		return diags
	}
	diags.AddError("Unable to submit the image request", fmt.Sprintf("%s.\n\nNo task id came back, so nothing was saved in state.", err))
	return diags
}

// waitErrorDiagnostics explains why a wait for a task ended without a completed image.
func waitErrorDiagnostics(err error, taskID string, data *providerData, operation string) diag.Diagnostics {
	var diags diag.Diagnostics
	var failed *apimart.TaskFailedError
	if errors.As(err, &failed) {
		diags.AddError("Image generation "+failed.Task.Status,
			fmt.Sprintf("%s.\n\nThe task id is kept in state, with the API's message in error_message. The next apply "+
				"replaces this image with a new, paid task; if the message points at the prompt (for example a content "+
				"policy), change the prompt first.", err))
		return diags
	}
	if summary, detail, ok := accessErrorText(err, data); ok {
		diags.AddError(summary, detail+fmt.Sprintf("\n\nTask %s is kept in state and is collected by the next apply.", taskID))
		return diags
	}
	summary := "Stopped waiting for the image"
	advice := fmt.Sprintf("Task %s is saved in state, so nothing paid is lost. Apply again: the provider collects this "+
		"same task instead of submitting a new one.", taskID)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		summary = "Timed out waiting for the image"
		advice += fmt.Sprintf(" To wait longer in one apply, raise timeouts.%s.", operation)
	case errors.Is(err, context.Canceled):
		summary = "Interrupted while waiting for the image"
	}
	diags.AddError(summary, fmt.Sprintf("%s.\n\n%s", err, advice))
	return diags
}

func readErrorDiagnostics(err error, taskID string, data *providerData) diag.Diagnostics {
	var diags diag.Diagnostics
	if summary, detail, ok := accessErrorText(err, data); ok {
		diags.AddError(summary, detail)
		return diags
	}
	if apimart.IsNotFound(err) {
		diags.AddError("Task not found",
			fmt.Sprintf("APIMart does not know task %q: %s. Check the id; the API forgets tasks a few days after they finish.", taskID, err))
		return diags
	}
	diags.AddError("Unable to read the image task", fmt.Sprintf("Reading task %s failed: %s.", taskID, err))
	return diags
}

// balanceErrorDiagnostics explains a balance that could not be read. The run stops, so that no
// guard passes or fails on a made-up number.
func balanceErrorDiagnostics(err error, scope apimart.BalanceScope, data *providerData) diag.Diagnostics {
	var diags diag.Diagnostics
	if summary, detail, ok := accessErrorText(err, data); ok {
		diags.AddError(summary, detail)
		return diags
	}
	var apiErr *apimart.APIError
	// A 2xx APIError is the balance endpoints' HTTP 200 {"success":false} form.
	if errors.As(err, &apiErr) && apiErr.StatusCode >= 200 && apiErr.StatusCode < 300 {
		diags.AddError("APIMart did not report the balance",
			fmt.Sprintf("%s.\n\nThe API answered the read of scope = %q with success false, so no balance is known and "+
				"nothing was planned from one. \"Token Not Found\" means the API does not know the key from %s: check "+
				"that it is complete and still active. Other messages come from the API's own quota lookup: try again "+
				"later.", err, string(scope), keySource(data)))
		return diags
	}
	diags.AddError("Unable to read the balance", fmt.Sprintf("Reading the balance of scope = %q failed: %s. Nothing was "+
		"planned from it; try again.", string(scope), err))
	return diags
}

// accessErrorText covers the answers that retrying cannot fix: a rejected key, another key's
// task, and a rate limit that outlasted the retries.
func accessErrorText(err error, data *providerData) (string, string, bool) {
	source := keySource(data)
	switch {
	case apimart.IsUnauthorized(err):
		return "APIMart rejected the API key", fmt.Sprintf("%s.\n\nThe key came from %s. Check that it is complete "+
			"and still active; the request was not retried.", err, source), true
	case apimart.IsForbidden(err):
		return "Access denied by APIMart", fmt.Sprintf("%s.\n\nThe key from %s may not use this task or model; a task "+
			"can be read only with the key that created it.", err, source), true
	case apimart.IsRateLimited(err):
		return "APIMart rate limit reached", fmt.Sprintf("%s.\n\nThe request was retried and still limited. Lower "+
			"rate_limit in the provider block, or run terraform with a smaller -parallelism.", err), true
	}
	return "", "", false
}

func isTaskFailure(err error) bool {
	var failed *apimart.TaskFailedError
	return errors.As(err, &failed)
}

// keySource says where the key came from, for error details.
func keySource(data *providerData) string {
	if data != nil && data.keySource != "" {
		return data.keySource
	}
	return "the provider configuration"
}
