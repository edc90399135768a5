package asc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

func decodeErr(t *testing.T, status int, body string) *APIError {
	t.Helper()
	return newAPIError("PATCH", "/v1/reviewSubmissions/123", &http.Response{StatusCode: status}, []byte(body), RateLimit{}, 0)
}

func TestAPIErrorDecodeLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []ErrorItem
	}{
		{"status as string, pointer", `{"errors":[{"id":"a","status":"409","code":"STATE_ERROR","title":"T","detail":"D","source":{"pointer":"/data/attributes/submitted"}}]}`,
			[]ErrorItem{{ID: "a", Status: "409", Code: "STATE_ERROR", Title: "T", Detail: "D", Source: &ErrorSource{Pointer: "/data/attributes/submitted"}}}},
		{"status as number, no detail", `{"errors":[{"status":409,"code":"X","title":"T"}]}`,
			[]ErrorItem{{Status: "409", Code: "X", Title: "T"}}},
		{"meta kept raw", `{"errors":[{"status":"409","code":"X","title":"T","meta":{"associatedErrors":{"/v1/x":[]}}}]}`,
			[]ErrorItem{{Status: "409", Code: "X", Title: "T", Meta: json.RawMessage(`{"associatedErrors":{"/v1/x":[]}}`)}}},
		{"parameter source", `{"errors":[{"status":"400","code":"PARAMETER_ERROR.INVALID","title":"T","source":{"parameter":"limit"}}]}`,
			[]ErrorItem{{Status: "400", Code: "PARAMETER_ERROR.INVALID", Title: "T", Source: &ErrorSource{Parameter: "limit"}}}},
		{"not JSON", `Bad Gateway`, nil},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, 409, tt.body)
			if e.StatusCode != 409 {
				t.Errorf("StatusCode = %d", e.StatusCode)
			}
			if !reflect.DeepEqual(e.Errors, tt.want) {
				t.Errorf("Errors = %+v\nwant %+v", e.Errors, tt.want)
			}
		})
	}
}

func TestAPIErrorMessageAndHelpers(t *testing.T) {
	e := decodeErr(t, 409, `{"errors":[
		{"status":"409","code":"STATE_ERROR","title":"The request cannot be fulfilled","detail":"The version is not in a valid state."},
		{"status":"409","code":"ENTITY_ERROR.ATTRIBUTE.INVALID","title":"Invalid","detail":"x"}]}`)
	want := "PATCH /v1/reviewSubmissions/123: 409 STATE_ERROR: The request cannot be fulfilled: The version is not in a valid state. (and 1 more)"
	if e.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", e.Error(), want)
	}
	if e.Detail() != "The version is not in a valid state." {
		t.Errorf("Detail() = %q", e.Detail())
	}
	wrapped := fmt.Errorf("submitting: %w", e)
	if !IsConflict(wrapped) || IsNotFound(wrapped) || IsRateLimited(wrapped) || IsUnauthorized(wrapped) || IsForbidden(wrapped) {
		t.Error("sentinel helpers wrong for a wrapped 409")
	}
	got, ok := AsAPIError(wrapped)
	if !ok || got != e {
		t.Error("AsAPIError did not find the error")
	}
	codes := []struct {
		prefix string
		want   bool
	}{
		{"STATE_ERROR", true},
		{"ENTITY_ERROR", true},
		{"ENTITY_ERROR.ATTRIBUTE", true},
		{"ENTITY_ERROR.ATTRIBUTE.INVALID", true},
		{"ENTITY_ERROR.ATTRIBUTE.INV", false},
		{"ENTITY", false},
		{"PARAMETER_ERROR", false},
	}
	for _, c := range codes {
		if e.HasCode(c.prefix) != c.want {
			t.Errorf("HasCode(%q) = %v, want %v", c.prefix, !c.want, c.want)
		}
	}
	titleOnly := decodeErr(t, 429, `{"errors":[{"status":"429","code":"RATE_LIMIT_EXCEEDED","title":"The request rate limit has been reached."}]}`)
	if titleOnly.Detail() != "The request rate limit has been reached." {
		t.Errorf("Detail() without detail = %q", titleOnly.Detail())
	}
	if titleOnly.Error() != "PATCH /v1/reviewSubmissions/123: 429 RATE_LIMIT_EXCEEDED: The request rate limit has been reached." {
		t.Errorf("Error() = %q", titleOnly.Error())
	}
	if !errors.Is(titleOnly, ErrRateLimited) {
		t.Error("429 is not ErrRateLimited")
	}
	bare := decodeErr(t, 502, "<html>")
	if bare.Detail() != "Bad Gateway" || bare.Error() != "PATCH /v1/reviewSubmissions/123: 502 Bad Gateway" {
		t.Errorf("bare = %q / %q", bare.Detail(), bare.Error())
	}
}
