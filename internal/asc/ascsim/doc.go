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
// JWTs are verified like Apple: ES256 only, typ JWT, kid in Options.Keys (or
// a Team's keys) and not revoked (RevokeKey), iss == that key's issuer
// (individual keys with sub are not modelled), aud
// appstoreconnect-v1, iat present and at most 60 s in the future, exp present
// and after now, exp-iat ≤ 20 min, signature valid for that kid. Several
// teams: a key sees only its team's apps and everything under them; another
// team's resource is 404 in a path and 409 RELATIONSHIP.INVALID in a body,
// as if it did not exist (see Team for the sources).
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
// REJECTED. That submission stays open: it holds its version, takes no new
// items and blocks a new submission; PATCH submitted:true on it resubmits it
// (version and submission WAITING_FOR_REVIEW again, the item READY_FOR_REVIEW)
// once the submit checks pass. Canceling (canceled:true, allowed from
// WAITING_FOR_REVIEW, IN_REVIEW and UNRESOLVED_ISSUES; a READY_FOR_REVIEW
// draft is not cancellable, see the cancel rule)
// answers CANCELING, makes versions under review DEVELOPER_REJECTED and items
// REMOVED; the submission becomes COMPLETE at the next Tick (control mode) or
// one stage later (ReviewStage > 0) — the spec has no CANCELED state. Approved
// items are APPROVED and their submission COMPLETE.
//
// # Rules
//
// Every rule the simulator enforces, with its source. "Assumed" means no
// source was found; each assumed rule has a test named after it (TestRule…
// or the test named in the last column), so a correction is one place. Where
// sources disagree the stricter reading is modelled and the row says so.
// Errors are 409 unless noted; detail wordings not quoted from a source are
// assumed.
//
//	Rule                               What the simulator does                                   Source · test
//	one-open-submission                POST /v1/reviewSubmissions while a submission of the     fastlane deliver submit_for_review.rb ("only one open
//	                                   app+platform (platform defaults to IOS) is READY_FOR_    submission per platform per app"); fastlane PR #19979
//	                                   REVIEW, WAITING_FOR_REVIEW, IN_REVIEW, UNRESOLVED_ISSUES  (UNRESOLVED_ISSUES blocks "until the issues have been
//	                                   or CANCELING: STATE_ERROR "There is another              resolved or the existing submission has been cancelled");
//	                                   reviewSubmissions with id … still in progress".          Apple Help "App and submission statuses" ("one submission
//	                                                                                            at a time per platform"). Stricter than field reports of
//	                                                                                            Apple accepting one then. Wording: Codemagic cli-tools
//	                                                                                            parses Apple's detail with this very sentence; code assumed
//	                                                                                            · TestOneOpenSubmissionPerAppAndPlatform, TestRejectionFlow
//	unresolved-takes-no-items          Items only into a READY_FOR_REVIEW submission.           Apple Help "Manage a submission with unresolved issues"
//	                                                                                            ("you can't add more items to it") · TestAddItemRules,
//	                                                                                            TestRejectionFlow
//	item-in-one-submission             A version held by a submission that is not COMPLETE     field reports quoting Apple: STATE_ERROR.ENTITY_STATE_
//	                                   cannot be added elsewhere: STATE_ERROR.ENTITY_STATE_      INVALID "This resource cannot be reviewed, please check
//	                                   INVALID with meta.associatedErrors STATE_ERROR.ITEM_     associated errors to see why." (itsyconnect-macos#67) and
//	                                   PART_OF_ANOTHER_SUBMISSION "appStoreVersions with id …   ITEM_PART_OF_ANOTHER_SUBMISSION "… was already added to
//	                                   was already added to another reviewSubmission with id …" another reviewSubmission with id …" (several 2026 reports)
//	                                                                                            · TestAddItemRules
//	item-same-app-editable             Items: versions of the same app and platform, in an     assumed · TestAddItemRules
//	                                   editable state.
//	resubmit-same-submission           PATCH submitted:true is allowed from READY_FOR_REVIEW    field reports (fastrepl/anarlog PR #7104: only the final
//	                                   and UNRESOLVED_ISSUES, never a new item for a rejected   submitted:true PATCH); Apple Help ("Resubmit to App
//	                                   version.                                                 Review") · TestRejectionFlow
//	metadata-rejected-same-build       METADATA_REJECTED resubmits with the same build.        Apple Help "App and submission statuses"; field reports
//	                                                                                            · TestRejectionFlow
//	binary-rejection-needs-new-build   After REJECTED or INVALID_BINARY, submitting with the    INVALID_BINARY: Apple Help ("You must upload a new build,
//	                                   rejected build: STATE_ERROR.ENTITY_STATE_INVALID at       or select one that meets…"). REJECTED: Apple Help has the
//	                                   /appStoreVersions/{id}/relationships/build "Build N was  item edited before "Add for Review"; field reports resubmit
//	                                   rejected by App Review (…). Choose a new build before    the identical build after a reply — stricter modelled.
//	                                   you resubmit."                                           Wording assumed · TestRuleBinaryRejectionNeedsNewBuild
//	submit-checks                      PATCH submitted:true with no version item: ENTITY_ERROR. fastlane deliver (build, export compliance before submit);
//	                                   RELATIONSHIP.REQUIRED at /data/relationships/appStore    fastlane upload_metadata.rb (no whatsNew on a first
//	                                   VersionForReview "App … must have an approved appStore  version). No-items code, pointer and wording: field
//	                                   Versions for platform …, or an appStoreVersions must be  reports quoting Apple (2026, several; microsoft/asconnect
//	                                   included in this review submission."; otherwise one     PR #50 saw STATE_ERROR.ENTITY_STATE_INVALID "… does not
//	                                   STATE_ERROR.ENTITY_STATE_INVALID "appStoreVersions with  have any items" in 2024 — Apple changes it). Per-problem
//	                                   id '…' is not in valid state." per problem: no build,    title: field reports; details and pointers assumed
//	                                   build not VALID, compliance unanswered, empty whatsNew  · TestSubmitValidation
//	                                   (not on a first version).
//	cancel                             canceled:true from WAITING_FOR_REVIEW, IN_REVIEW and     fastlane deliver runner.rb reject_version_if_possible
//	                                   UNRESOLVED_ISSUES; else STATE_ERROR "Resource is not in  cancels get_in_progress_review_submission (exactly those
//	                                   cancellable state" — a READY_FOR_REVIEW draft included  three states); PR #19979 (UNRESOLVED_ISSUES blocks until
//	                                   (it is reused, not cancelled).                           "cancelled"). READY_FOR_REVIEW refused and the wording:
//	                                                                                            a field report (2026-09, PATCH canceled:true on an unsent
//	                                                                                            submission → 409 "Resource is not in cancellable state");
//	                                                                                            code assumed · TestRuleCancelOnlyOnceSubmitted,
//	                                                                                            TestCancelAndResubmit, TestUnresolvedSubmissionCanBeCanceled
//	canceling-settles-on-tick          CANCELING lasts until the next Tick / one stage.         fastlane runner.rb ("An app version won't get removed from
//	                                                                                            review instantly", polls every 15 s); the duration is
//	                                                                                            assumed · TestRuleCancelingSettlesOnTick
//	whats-new                          Editable in PREPARE_FOR_SUBMISSION, READY_FOR_REVIEW,    Apple doc app-store-version-localizations; 4000: third
//	                                   DEVELOPER_REJECTED, the rejections and WAITING_FOR_      parties (asc-facts §7); first version: fastlane
//	                                   REVIEW, never on a first version; else the not-         upload_metadata.rb · TestWhatsNewRules, TestFirstVersionRules
//	                                   modifiable error below. > 4000 runes ENTITY_ERROR.
//	                                   ATTRIBUTE.INVALID. promotionalText (≤ 170) in any
//	                                   state; other metadata only while editable.
//	not-modifiable                     An attribute that cannot change in the state: ENTITY_   field report quoting Apple's whole body for versionString
//	                                   ERROR.ATTRIBUTE.INVALID.INVALID_STATE "An attribute      (code, title, detail, pointer); tramline applelink
//	                                   value is not acceptable for the current resource        WrapperError matches the same text. Used for every
//	                                   state." / "The attribute 'x' can not be modified."      attribute by analogy · TestUpdateVersionRules
//	attach-build                       The build belongs to the app, matches platform and       not editable: tramline applelink and Runway's FAQ quote
//	                                   versionString, is VALID and unexpired; the version is    "A relationship value is not acceptable for the current
//	                                   editable, else ENTITY_ERROR.RELATIONSHIP.INVALID.        resource state." / "The specified pre-release build could
//	                                   INVALID_STATE with Apple's words.                        not be added." (code by analogy); rest assumed
//	                                                                                            · TestAttachBuildRules
//	create-version                     POST /v1/appStoreVersions: ENTITY_ERROR.RELATIONSHIP.    iTunes Connect guide ("only … a platform that has a Ready
//	                                   INVALID "You cannot create a new version of the App in   for Sale … version"); field report sceneview#3143 (409);
//	                                   the current state." while another version is not live;   both wordings: tramline applelink WrapperError (DUPLICATE
//	                                   DUPLICATE "The version number has been previously        at /data/attributes/versionString); "higher" assumed
//	                                   used."; higher than every released one. New versions     · TestCreateVersionRules
//	                                   copy metadata but not whatsNew; releaseType the
//	                                   previous version's.
//	release-options-before-submission  releaseType and earliestReleaseDate change only while    assumed (stricter: the issue's report; Apple's Help "Select
//	                                   the version is editable: the not-modifiable error        a version release option" does not say when it locks);
//	                                   ("The attribute 'releaseType' can not be modified.").   wording: not-modifiable · TestRuleReleaseOptionsOnlyBefore
//	                                                                                            Submission
//	earliest-release-date              earliestReleaseDate in the future and on the hour;       Codemagic cli-tools arguments.py Types.EarliestReleaseDate
//	                                   SCHEDULED needs one.                                     ("date cannot be in the past", "only hour precision is
//	                                                                                            allowed") — a client-side check; Apple's server rule is
//	                                                                                            not published. SCHEDULED needs one: assumed
//	                                                                                            · TestRuleEarliestReleaseDateOnTheHourInFuture
//	approval-by-release-type           MANUAL → PENDING_DEVELOPER_RELEASE; AFTER_APPROVAL →     Apple Help "Select a version release option" ·
//	                                   distribution; SCHEDULED → PENDING_APPLE_RELEASE until     TestHappyPath, TestScheduledRelease
//	                                   the date.
//	encryption-once                    usesNonExemptEncryption cannot change once set           tramline applelink WrapperError ("You cannot update when
//	                                   (ENTITY_ERROR.ATTRIBUTE.INVALID "You cannot update when  the value is already set. - /data/attributes/usesNonExempt
//	                                   the value is already set.", even to the same value).     Encryption"); code assumed · TestEncryptionCannotChangeOnceSet
//	release-request                    Only in PENDING_DEVELOPER_RELEASE.                       Apple doc app-store-version-release-requests ·
//	                                                                                            TestReleaseRequestRules
//	phased-release                     One per version, not for a first version, created        first version: Apple doc app-store-version-phased-releases;
//	                                   INACTIVE, not once distribution started; PATCH           moves: Apple doc PATCH ("pause or resume … or immediately
//	                                   ACTIVE→PAUSED|COMPLETE, PAUSED→ACTIVE|COMPLETE; a no-op  release") and fastlane pause/resume/complete; 7 days and
//	                                   is STATE_ERROR "The phased release already has this      shares: Apple Help; no-op and final-state wordings: tramline
//	                                   value", any move from COMPLETE "You cannot change the    applelink WrapperError; created INACTIVE, one per version
//	                                   state of a phased release that is in a final state".    (looked up first) and DELETE to turn it off: fastlane
//	                                                                                            deliver upload_metadata.rb (microsoft/asconnect posts
//	                                                                                            ACTIVE, untested by its author: stricter modelled); "not
//	                                                                                            once distribution started": assumed · TestPhasedRelease,
//	                                   AdvancePhasedDay: COMPLETE after day 7. DELETE only      TestRulePhasedOnlyBeforeDistribution; DELETE: Apple doc
//	                                   while INACTIVE (204), else STATE_ERROR.                  ("Cancel a planned phased release that has not been
//	                                                                                            started") · TestPhasedDeleteOnlyWhenPlanned
//	first-iap-on-version               IAP submission only READY_TO_SUBMIT and when the app     rorkai/App-Store-Connect-CLI issue #1122
//	                                   has an APPROVED purchase, else STATE_ERROR.FIRST_IAP_    (FIRST_SUBSCRIPTION_MUST_BE_SUBMITTED_ON_VERSION); the
//	                                   MUST_BE_SUBMITTED_ON_VERSION.                            code is the simulator's · TestIAPSubmission
//	availability-inline                POST /v2/appAvailabilities: every territoryAvailability  Apple OpenAPI spec (AppAvailabilityV2CreateRequest) ·
//	                                   inline in included with a "${local-id}" id and a valid   TestAvailabilityBodyRules
//	                                   territory (201).
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
