// Package ascsim is a strict, in-memory App Store Connect API simulator: an
// http.Handler speaking raw JSON:API that behaves like Apple for the
// operations ascbot uses. Tests, the --sandbox mode (real Slack, simulated
// Apple) and the demo command run against it. It does not import the client
// (internal/asc); it is an independent model of Apple.
//
// Strictness comes from Apple's OpenAPI spec via ascspec (default: the
// embedded subset): every route exists in the spec, every query parameter and
// request body is checked against the operation's declaration, and responses
// carry only attributes and relationships the spec declares. On top of that
// the simulator models the App Review state machine and the 409 rules Apple
// enforces.
//
// # Pipeline
//
// Every request: optional latency (SetLatency; ends early when the request
// context is done, logged as status 499) → JWT check (401 NOT_AUTHORIZED) →
// per-key rolling-hour rate limit (429 RATE_LIMIT_EXCEEDED with Retry-After;
// refused requests are not counted) → injected faults → routing → CheckQuery
// (400 PARAMETER_ERROR.*) → CheckBody (409 ENTITY_ERROR.*, 422 for unreadable
// JSON) → data.id must equal the path id on PATCH (409 ENTITY_ERROR) → the
// handler. Every answer, errors included, carries
// X-Rate-Limit: user-hour-lim:N;user-hour-rem:M;. Unknown paths and spec
// operations the simulator does not serve are 404 NOT_FOUND; a method the spec
// does not declare on an existing path is Apple's 403 FORBIDDEN_ERROR
// ("The resource 'x' does not allow 'DELETE'…").
//
// JWTs are verified like Apple: ES256 only, typ JWT, kid in Options.Keys,
// iss == Options.IssuerID (individual keys with sub are not modelled), aud
// appstoreconnect-v1, iat present and at most 60 s in the future, exp present
// and after now, exp-iat ≤ 20 min, signature valid for that kid.
//
// # Documents
//
// Resources carry type, id, the schema's attributes (null when unset or not
// modelled), relationships and links.self (when the spec has an instance
// path; territories have none). A relationship appears only when the schema
// declares it (and fields[type], when given, lists it). It carries
// links{self,related} when the schema declares links (only paths that exist
// in the spec). It carries a data linkage when it is named in include, or when
// the schema declares it without links — data is then its only content — and
// the simulator models it (reviewSubmissions.app/appStoreVersionForReview,
// reviewSubmissionItems.appStoreVersion, appStoreVersions.app,
// appStoreVersionLocalizations.appStoreVersion, builds.buildUpload,
// buildUploads.build, territoryAvailabilities.territory, webhooks.app,
// inAppPurchaseSubmissions.inAppPurchaseV2). Included to-many linkage is
// capped by limit[rel] (default 10) and carries meta.paging{total,limit};
// related lists come newest first (versions by createdDate, builds by
// uploadedDate, submissions by creation). include of a relationship the
// simulator does not model answers null / [] linkage. Nested include
// ("a.b") is refused by the spec's enum, as Apple does.
//
// Collections default to 20 per page and follow the spec's limit maximum.
// The spec declares no cursor parameter anywhere; Apple's links.next carries
// one, so an opaque cursor is accepted on every operation that declares limit
// and links.next is an absolute URL on the request's host (a prefix stripped
// with http.StripPrefix is kept) with every other parameter preserved;
// meta.paging has total, limit and nextCursor. Filters work generically:
// filter[attr], filter[id], filter[rel] (related ids) and filter[rel.attr];
// a declared filter on something not modelled matches nothing. sort works on
// attributes (numeric-aware for build and version numbers). Dates are
// RFC 3339 with a -07:00 offset like Apple's.
//
// Errors use Apple's ErrorResponse shape: errors[{id, status (a string),
// code, title, detail, source{pointer|parameter}, meta}]. Ids referenced in a
// request body that do not exist are 409 ENTITY_ERROR.RELATIONSHIP.INVALID
// pointing at the relationship; ids in the path that do not exist are 404.
//
// # State machine
//
// appVersionState moves PREPARE_FOR_SUBMISSION → (submit) WAITING_FOR_REVIEW →
// IN_REVIEW → approval: MANUAL → PENDING_DEVELOPER_RELEASE (a release request
// starts distribution); AFTER_APPROVAL → distribution; SCHEDULED →
// PENDING_APPLE_RELEASE until earliestReleaseDate, then distribution.
// Distribution is PROCESSING_FOR_DISTRIBUTION → READY_FOR_DISTRIBUTION: the
// second step happens one stage later with ReviewStage > 0, or through
// Distribute in control mode. Going live replaces the previous live version
// (REPLACED_WITH_NEW_VERSION) and starts an INACTIVE phased release (ACTIVE,
// day 1). The deprecated appStoreState always follows (AppStoreState).
// Rejections (REJECTED, METADATA_REJECTED, INVALID_BINARY) come from the
// control API and leave the submission UNRESOLVED_ISSUES with the item
// REJECTED; PATCH submitted:true on that submission resubmits it. Canceling
// (canceled:true, allowed from READY_FOR_REVIEW, WAITING_FOR_REVIEW,
// IN_REVIEW and UNRESOLVED_ISSUES) answers CANCELING, makes versions under
// review DEVELOPER_REJECTED and items REMOVED; the submission becomes COMPLETE
// at the next stage, or right after the answer in control mode (the spec has
// no CANCELED state). Approved items are APPROVED and their submission
// COMPLETE.
//
// Rules (409 unless noted), each with Apple's wording where known:
//   - POST /v1/reviewSubmissions (platform defaults to IOS) while a submission of the app and platform is
//     READY_FOR_REVIEW, WAITING_FOR_REVIEW, IN_REVIEW or CANCELING: STATE_ERROR
//     "There is another reviewSubmissions with id … still in progress".
//     UNRESOLVED_ISSUES does not block creation (field reports show Apple
//     accepting it), but such a submission still holds its version: adding
//     that version elsewhere is STATE_ERROR.ENTITY_STATE_INVALID with
//     meta.associatedErrors STATE_ERROR.ITEM_PART_OF_ANOTHER_SUBMISSION, until
//     the old submission is canceled.
//   - Items: only into a READY_FOR_REVIEW submission, only versions of the same
//     app and platform in an editable state, and a version only once.
//   - PATCH submitted:true with no items: ENTITY_ERROR.RELATIONSHIP.REQUIRED
//     (/data/relationships/appStoreVersionForReview); otherwise one
//     STATE_ERROR.ENTITY_STATE_INVALID per problem, pointing at the resource:
//     no build (/appStoreVersions/{id}/relationships/build), build not VALID,
//     export compliance unanswered (/builds/{id}/attributes/
//     usesNonExemptEncryption), empty whatsNew in any locale
//     (/appStoreVersionLocalizations/{id}/attributes/whatsNew) unless the
//     version is the app's first on that platform.
//   - whatsNew: STATE_ERROR "Attribute 'whatsNew' cannot be edited at this
//     time" on a first version and outside PREPARE_FOR_SUBMISSION,
//     READY_FOR_REVIEW, DEVELOPER_REJECTED, REJECTED, METADATA_REJECTED,
//     INVALID_BINARY and WAITING_FOR_REVIEW; more than 4000 characters
//     (runes) is ENTITY_ERROR.ATTRIBUTE.INVALID. promotionalText (≤170) is
//     editable in any state; other metadata only while editable.
//   - Build attach: the build must belong to the app, match the version's
//     platform and versionString, be VALID and unexpired, and the version must
//     be editable.
//   - POST /v1/appStoreVersions: ENTITY_ERROR.RELATIONSHIP.INVALID "You cannot
//     create a new version of the App in the current state." while another
//     version on the platform is not live; ENTITY_ERROR.ATTRIBUTE.INVALID.
//     DUPLICATE "The version number has been previously used."; the number
//     must be higher than every released one. New versions get one
//     localization per app locale, copying the previous version's metadata but
//     not whatsNew; releaseType defaults to the previous version's.
//   - earliestReleaseDate must be in the future and on the hour; SCHEDULED
//     needs one.
//   - usesNonExemptEncryption cannot change once set (ENTITY_ERROR.ATTRIBUTE.
//     INVALID, even to the same value).
//   - Release requests only in PENDING_DEVELOPER_RELEASE.
//   - Phased release: one per version, not for a first version, not once
//     distribution started, created INACTIVE; PATCH allows ACTIVE→PAUSED|
//     COMPLETE and PAUSED→ACTIVE|COMPLETE only (a no-op is a 409 too).
//     AdvancePhasedDay moves an ACTIVE release one day (COMPLETE after day 7)
//     or counts a paused day in totalPauseDuration.
//   - IAP submission: only READY_TO_SUBMIT, and only when the app already has
//     an APPROVED purchase, else STATE_ERROR.FIRST_IAP_MUST_BE_SUBMITTED_ON_
//     VERSION (the simulator's code, modelled on Apple's
//     FIRST_SUBSCRIPTION_MUST_BE_SUBMITTED_ON_VERSION).
//   - POST /v2/appAvailabilities creates or updates the app's availability:
//     every linked territoryAvailability must be created inline in included
//     with a "${local-id}" id and a valid territory; the listed territories
//     get the given attributes (201).
//
// GET /v1/territories serves the spec's whole TerritoryCode enum (233 codes;
// Apple's live list is ~175 and not in the spec); currencies are illustrative.
//
// # Control
//
// Seeding (AddApp, AddVersion, AddBuild, AddIAP, SetAvailability, SeedDemo),
// forced states (SetVersionState, SetSubmissionState, SetItemState,
// SetBuildState, SetIAPState), review moves (StartReview, Approve, Reject,
// Distribute, AdvancePhasedDay, Tick), read-backs (Version, Versions, Build,
// Submissions, PhasedRelease, Availability, ReleaseRequests, IAP, Webhooks,
// Territories) and faults (InjectFault, SetLatency, Requests, ResetRequests)
// are Go methods; with Options.ControlAPI most are also JSON endpoints under
// /_sim/ (see Control API below). Options.Clock drives dates, JWT checks, the rate
// window and the review stages; with ReviewStage > 0 a background ticker
// (stopped by Close) calls Tick.
//
// # Control API
//
// With Options.ControlAPI the simulator answers JSON over HTTP for the sandbox. No token
// is required; bind the sandbox to localhost.
//
//	GET  /_sim/apps                          apps with versions, builds and submissions
//	POST /_sim/seed-demo                     SeedDemo, answers DemoIDs
//	POST /_sim/versions/{id}/start-review    StartReview
//	POST /_sim/versions/{id}/approve         Approve
//	POST /_sim/versions/{id}/reject          Reject      {"state":"REJECTED"}
//	POST /_sim/versions/{id}/distribute      Distribute
//	POST /_sim/versions/{id}/state           SetVersionState {"state":"…"}
//	POST /_sim/versions/{id}/phased-day      AdvancePhasedDay
//	POST /_sim/builds/{id}/state             SetBuildState {"state":"…"}
//	POST /_sim/submissions/{id}/state        SetSubmissionState {"state":"…"}
//	POST /_sim/faults                        InjectFault {"Method","PathPrefix","Status","RetryAfterSeconds","Count","Code"}
//	POST /_sim/latency                       SetLatency {"ms":250}
//	POST /_sim/tick                          Tick
//
// Answers: 200 with a JSON body, 404 for unknown ids, 409 for invalid moves,
// 400 for bad input; errors are {"error":"…"}.
package ascsim
