package ascsim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

// Sentinel errors returned by the seeding and control methods.
var (
	// ErrNotFound: no object with that id.
	ErrNotFound = errors.New("ascsim: not found")
	// ErrInvalidState: the move is not allowed from the object's current state.
	ErrInvalidState = errors.New("ascsim: invalid state")
	// ErrInvalidValue: a value is not in the spec's enum.
	ErrInvalidValue = errors.New("ascsim: invalid value")
)

// Apple error codes the simulator emits besides those of ascspec.
const (
	codeNotAuthorized   = "NOT_AUTHORIZED"
	codeNotFound        = "NOT_FOUND"
	codeForbidden       = "FORBIDDEN_ERROR"
	codeRateLimit       = "RATE_LIMIT_EXCEEDED"
	codeUnexpected      = "UNEXPECTED_ERROR"
	codeUnavailable     = "SERVICE_UNAVAILABLE"
	codeStateError      = "STATE_ERROR"
	codeStateInvalid    = "STATE_ERROR.ENTITY_STATE_INVALID"
	codeItemElsewhere   = "STATE_ERROR.ITEM_PART_OF_ANOTHER_SUBMISSION"
	codeDuplicate       = "ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE"
	codeFirstIAP        = "STATE_ERROR.FIRST_IAP_MUST_BE_SUBMITTED_ON_VERSION"
	codeAttrState       = "ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE"
	codeRelState        = "ENTITY_ERROR.RELATIONSHIP.INVALID.INVALID_STATE"
	codeUnprocessable   = "ENTITY_UNPROCESSABLE"
	codeInvalidQCState  = "ENTITY_UNPROCESSABLE.INVALID_QC_STATE"
	codeAnotherInReview = "ENTITY_UNPROCESSABLE.ANOTHER_BUILD_IN_REVIEW"
	titleNotAuthorized  = "Authentication credentials are missing or invalid."
	detailNotAuthorized = "Provide a properly configured and signed bearer token, and make sure that it has not expired. Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens"
	titleNotFound       = "The specified resource does not exist"
	titleStateInvalid   = "The request cannot be fulfilled because of the state of another resource."
)

type errSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

// errItem is one element of Apple's ErrorResponse.errors.
type errItem struct {
	ID     string         `json:"id"`
	Status string         `json:"status"`
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Source *errSource     `json:"source,omitempty"`
	Meta   map[string]any `json:"meta,omitempty"`
}

// apiError is an HTTP error answer in Apple's shape.
type apiError struct {
	status int
	items  []errItem
}

func (e *apiError) Error() string {
	if len(e.items) == 0 {
		return fmt.Sprintf("%d", e.status)
	}
	return fmt.Sprintf("%d %s: %s", e.status, e.items[0].Code, e.items[0].Detail)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func item(status int, code, title, detail string) errItem {
	return errItem{ID: newID(), Status: fmt.Sprint(status), Code: code, Title: title, Detail: detail}
}

func apiErr(status int, code, title, detail string) *apiError {
	return &apiError{status: status, items: []errItem{item(status, code, title, detail)}}
}

func (e *apiError) withPointer(p string) *apiError {
	for i := range e.items {
		if e.items[i].Source == nil {
			e.items[i].Source = &errSource{Pointer: p}
		}
	}
	return e
}

func notFound(typ, id string) *apiError {
	return apiErr(http.StatusNotFound, codeNotFound, titleNotFound, fmt.Sprintf("There is no resource of type '%s' with id '%s'", typ, id))
}

func conflict(code, title, detail, pointer string) *apiError {
	e := apiErr(http.StatusConflict, code, title, detail)
	if pointer != "" {
		e.withPointer(pointer)
	}
	return e
}

// stateErr is a 409 STATE_ERROR.
func stateErr(detail, pointer string) *apiError {
	return conflict(codeStateError, titleStateInvalid, detail, pointer)
}

// unprocessable is a 422 ENTITY_UNPROCESSABLE[.suffix]: Apple's status for
// TestFlight refusals (POST /v1/betaAppReviewSubmissions and adding builds to
// beta groups), per the field reports cited in beta.go.
func unprocessable(code, title, detail, pointer string) *apiError {
	e := apiErr(http.StatusUnprocessableEntity, code, title, detail)
	if pointer != "" {
		e.withPointer(pointer)
	}
	return e
}

// notModifiable is Apple's 409 for an attribute that cannot change in the
// resource's state (a field report quotes the whole body for versionString:
// ENTITY_ERROR.ATTRIBUTE.INVALID.INVALID_STATE, "An attribute value is not
// acceptable for the current resource state.", "The attribute 'versionString'
// can not be modified.", pointer /data/attributes/versionString).
func notModifiable(name string) *apiError {
	return conflict(codeAttrState, "An attribute value is not acceptable for the current resource state.",
		fmt.Sprintf("The attribute '%s' can not be modified.", name), "/data/attributes/"+name)
}

func relInvalid(detail, pointer string) *apiError {
	return conflict(ascspec.CodeRelationshipInvalid, "The provided entity includes a relationship with an invalid value", detail, pointer)
}

func attrInvalid(detail, pointer string) *apiError {
	return conflict(ascspec.CodeAttributeInvalid, "The provided entity includes an attribute with an invalid value", detail, pointer)
}

func attrRequired(detail, pointer string) *apiError {
	return conflict(ascspec.CodeAttributeRequired, "The provided entity is missing a required attribute", detail, pointer)
}

// merge folds several 409s into one document (Apple returns all problems).
func merge(errs []*apiError) *apiError {
	if len(errs) == 0 {
		return nil
	}
	out := &apiError{status: errs[0].status}
	for _, e := range errs {
		out.items = append(out.items, e.items...)
	}
	return out
}

func fromQueryError(qe *ascspec.QueryError) *apiError {
	it := item(qe.Status(), qe.Code, qe.Title, qe.Detail)
	it.Source = &errSource{Parameter: qe.Parameter}
	return &apiError{status: qe.Status(), items: []errItem{it}}
}

func fromBodyError(be *ascspec.BodyError) *apiError {
	it := item(be.Status(), be.Code, be.Title, be.Detail)
	if be.Pointer != "" {
		it.Source = &errSource{Pointer: be.Pointer}
	}
	return &apiError{status: be.Status(), items: []errItem{it}}
}
