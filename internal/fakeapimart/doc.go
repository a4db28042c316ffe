// Package fakeapimart is an in-memory stand-in for the APIMart image API, used by the client's
// unit tests, the provider's acceptance tests, the benchmarks and the local demo (cmd/apimart-fake).
//
// It mimics the API as documented, quirks included, rather than our own validation: an
// unsupported ratio sent to imagen-4.0-apimart silently becomes 16:9, reference images sent to it
// fail with "google_imagen4 currently supports text-to-image only", unknown JSON fields are
// ignored, a quoted n is rejected, and /v1/balance answers HTTP 200 with "success":false for an
// unknown key. Models and aliases, their sizes, counts, resolution tiers, reference rules and
// optional fields come from the client's catalog, and so do the silent changes: a tier of
// gemini-3.1-flash-lite-image becomes 1K and the n of gpt-image-1 is clamped to 1..4. Grok
// Imagine models read the ratio from aspect_ratio. Results have the model's real pixel size for
// the size and tier, times Settings.ImageScale.
//
// # Routes
//
//	POST /v1/images/generations   submit; answers shape V1, V2 or V3 (Settings.SubmitShape)
//	GET  /v1/tasks/{id}           task state, computed from the clock (?language= is accepted)
//	GET  /v1/models               every catalog id and alias, as {"object":"list","data":[...]}
//	GET  /v1/balance              the key's balance
//	GET  /v1/user/balance         the account's balance; every key belongs to the one account
//	POST /v1/uploads/images       multipart "file" field: JPEG, PNG, WebP or GIF by content, 20 MB
//	GET  /f/image/{name}.png      result images (ResultURL): real PNGs with the prompt drawn on
//	                              them, no auth, 403 once the server's record says they expired;
//	                              HEAD answers the same headers
//	GET  /uploads/{id}/{name}     uploaded files as stored, no auth, 403 after 72 hours
//
// Every /v1 route needs "Authorization: Bearer <key>" and is subject to Settings.Latency and
// Settings.RateLimit.
//
// A task is pending for the first 10% of its duration, then processing with a progress that
// rises linearly (at most 99), then completed with progress 100 at CreatedAt+duration, unless
// Settings.FailNextTasks gave it another final status; such tasks report progress 0. The
// duration and the estimate are fixed when the task is created.
//
// An upload without a file field, or of a file in another format, answers 400; a file over 20 MB
// answers 413. A submit whose image_urls name an upload of this server that does not exist
// answers 400, as the API cannot fetch it; the task records the image_urls it was sent.
// Injected submit and upload faults apply only to requests whose body is valid; an invalid body
// gets its 400 and leaves the fault queued.
//
// Each created task (seeded ones too) costs n times its model's price, fixed at creation, and
// lowers the balance of its key and of the account; a balance never drops below 0, and an
// Unlimited one does not drop at all, while used_balance grows either way.
//
// Counters: Requests counts every request except the control routes; Submits, Uploads, TaskReads
// and BalanceReads count the requests that passed latency, rate limit and auth; UploadsStored counts
// the files kept (an injected fault with store or reset keeps one too); ImageDownloads counts
// PNGs served (one cut off by a fault included); ImageHeads counts HEADs of result files, whatever
// their answer; DownloadsWithAuthorization counts requests for result files that carried an
// Authorization header, which a client must never send to a file host; Faults counts every
// injected submit, upload, read or download fault served and every task given an outcome by
// FailNextTasks; RateLimited counts every 429 sent, injected ones included.
//
// # Control routes
//
// With Settings.ControlRoutes, and only for loopback peers, these routes need no auth:
//
//	GET  /_fake/counters         the Counters as JSON
//	POST /_fake/reset-counters   zero the counters; answers the (zero) counters
//	POST /_fake/forget-tasks     ForgetAllTasks
//	GET  /_fake/settings         the Settings as JSON
//	POST /_fake/settings         decode the body onto the Settings; answers them
//
// The settings JSON is the Settings struct itself, so its field tags are the reference; fields
// left out keep their values, unknown ones are refused, and durations are nanoseconds:
//
//	{"task_duration": 500000000, "fail_next_submits": {"n": 1, "status": 503, "create_task": true}}
package fakeapimart
