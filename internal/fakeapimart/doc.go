// Package fakeapimart is an in-memory stand-in for the APIMart image API, used by the client's
// unit tests, the provider's acceptance tests and the local demo (cmd/apimart-fake).
//
// It mimics the API as documented, quirks included, rather than our own validation: an
// unsupported ratio sent to imagen-4.0-apimart silently becomes 16:9, reference images sent to it
// fail with "google_imagen4 currently supports text-to-image only", unknown JSON fields are
// ignored, a quoted n is rejected, and /v1/balance answers HTTP 200 with "success":false for an
// unknown key. Models and aliases, their sizes, counts, resolution tiers, reference rules and
// optional fields come from the client's catalog, and so do the silent changes: a tier of
// gemini-3.1-flash-lite-image becomes 1K and the n of gpt-image-1 is clamped to 1..4. Grok
// Imagine models read the ratio from aspect_ratio. Results have the model's real pixel size for
// the size and tier, times WithImageScale (1/16 by default).
//
// # Routes
//
//	POST /v1/images/generations   submit; answers shape V1, V2 or V3 (SetSubmitShape)
//	GET  /v1/tasks/{id}           task state, computed from the clock (?language= is accepted)
//	GET  /v1/balance              the key's balance
//	GET  /v1/user/balance         the account's balance; every key belongs to the one account
//	POST /v1/uploads/images       multipart "file" field: JPEG, PNG, WebP or GIF by content, 20 MB
//	GET  /files/{task}/{i}.png    result images: real PNGs with the prompt drawn on them, no auth,
//	                              403 once expired; HEAD answers the same headers
//	GET  /uploads/{id}/{name}     uploaded files as stored, no auth, 403 after 72 hours
//
// Every /v1 route needs "Authorization: Bearer <key>" and is subject to the latency and the
// rate limit knobs. The rate limit works on the wall clock even when WithClock is used, because
// clients back off in real time.
//
// A task is pending for the first 10% of its duration, then processing with a progress that
// rises linearly (at most 99), then completed with progress 100 at CreatedAt+duration, unless
// FailNextTasks gave it another final status; such tasks report progress 0. The duration and the
// estimate are fixed when the task is created.
//
// An upload without a file field, or of a file in another format, answers 400; a file over 20 MB
// answers 413. A submit whose image_urls name an upload of this server that does not exist
// answers 400, as the API cannot fetch it; the task records the image_urls it was sent.
//
// Every key and the account start with StartingBalance. Each created task (seeded ones too)
// costs n times its model's price (SetPrice; DefaultPrice otherwise), fixed at creation, and
// lowers the balance of its key and of the account; a balance never drops below 0, and an
// Unlimited (-1) one does not drop at all, while used_balance grows either way. FailBalanceReads
// makes both balance endpoints answer HTTP 200 {"success":false,"message":...}.
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
// Injected submit and upload faults apply only to requests whose body is valid; an invalid body
// gets its 400 and leaves the fault queued.
//
// # Control routes
//
// With WithControlEndpoint, and only for loopback peers, three routes need no auth:
//
//	GET  /_fake/counters         the Counters as JSON
//	POST /_fake/reset-counters   zero the counters; answers the (zero) counters
//	GET  /_fake/faults           the current knobs
//	POST /_fake/faults           change knobs; every field is optional; answers the current knobs
//
// Counters JSON:
//
//	{"requests":0,"submits":0,"tasks_created":0,"task_reads":0,"balance_reads":0,
//	 "image_downloads":0,"image_heads":0,"downloads_with_authorization":0,"unauthorized":0,
//	 "rate_limited":0,"idempotent_replays":0,"faults":0,"uploads":0,"uploads_stored":0}
//
// POST /_fake/faults body (unknown fields are refused, to catch typos):
//
//	{
//	  "submit_shape": "v2",              // "v1" | "v2" | "v3" (or 1, 2, 3)
//	  "url_as_string": true,
//	  "task_duration_ms": 500,           // for tasks created from now on
//	  "estimated_time_ms": 0,            // 0 = derive from the duration
//	  "fail_next_submits": {"n": 1, "status": 503, "retry_after_ms": 1000,
//	                        "create_task": false, "reset": false},
//	  "fail_next_uploads": {"n": 2, "status": 503, "retry_after_ms": 0,
//	                        "store": false, "reset": false},
//	  "fail_next_task_reads": {"n": 2, "kind": "status", "status": 502, "delay_ms": 0},
//	                        // kind: "status" | "malformed" | "slow" | "reset" | "huge" | "non_json"
//	  "fail_next_tasks": {"n": 1, "status": "failed",
//	                      "error": {"code": 500, "message": "upstream refused", "type": "upstream_error"}},
//	  "forget_all_tasks": true,
//	  "rate_limit": {"per_second": 2, "burst": 1},  // per_second <= 0 disables
//	  "latency_ms": 50,
//	  "idempotency": false,
//	  "fail_next_downloads": {"n": 1, "kind": "cut", "status": 0},
//	                        // kind: "cut" (halfway through the body) | "status" | "html"
//	  "min_image_bytes": 20971520,       // pad result files with incompressible bytes; 0 = off
//	  "balances": {"sk-fake-key": 5},   // remaining balance per key; -1 = unlimited
//	  "account_balance": 50,            // -1 = unlimited
//	  "prices": {"gpt-image-2": 0.25},  // per image, for tasks created from now on
//	  "balance_failure": "Token Not Found"  // "" restores the normal answer
//	}
//
// The knobs JSON answered by GET and POST /_fake/faults:
//
//	{"submit_shape":"v2","url_as_string":true,"task_duration_ms":500,"estimated_time_ms":0,
//	 "url_lifetime_ms":86400000,"rate_limit":{"per_second":2,"burst":1},"latency_ms":50,
//	 "idempotency":false,"pending_submit_faults":1,"pending_task_read_faults":2,
//	 "pending_task_outcomes":1,"pending_upload_faults":2,"min_image_bytes":0,
//	 "pending_download_faults":0,"account_balance":50,"prices":{"gpt-image-2":0.25},
//	 "balance_failure":""}
//
// The keys' balances are not in it, so that no key is echoed; read them from /v1/balance.
package fakeapimart
