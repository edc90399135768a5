package asc

import (
	"encoding/json"
	"testing"
	"time"
)

func TestQueryEncode(t *testing.T) {
	q := query{}.
		set("filter[state]", "READY_FOR_REVIEW", "WAITING_FOR_REVIEW").
		set("filter[app]", "123").
		set("filter[versionString]", "").
		set("filter[name]", "Koten OCR&co").
		setInt("limit", 200).
		setInt("limit[items]", 0)
	want := "filter[app]=123&filter[name]=Koten+OCR%26co&filter[state]=READY_FOR_REVIEW,WAITING_FOR_REVIEW&limit=200"
	if got := q.encode(); got != want {
		t.Errorf("encode = %s\nwant     %s", got, want)
	}
	if (query{}).encode() != "" {
		t.Error("empty query not empty")
	}
	// A value containing a comma is escaped so it cannot split.
	if got := (query{}).set("filter[name]", "a,b").encode(); got != "filter[name]=a%2Cb" {
		t.Errorf("comma in value: %s", got)
	}
}

func TestLinkageDecode(t *testing.T) {
	var r Resource
	err := json.Unmarshal([]byte(`{"type":"reviewSubmissions","id":"s","relationships":{
		"app":{"data":{"type":"apps","id":"a"}},
		"items":{"data":[{"type":"reviewSubmissionItems","id":"i1"},{"type":"reviewSubmissionItems","id":"i2"}]},
		"appStoreVersionForReview":{"data":null},
		"submittedByActor":{"links":{"related":"x"}}}}`), &r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rel("app") != "a" {
		t.Errorf("app = %q", r.Rel("app"))
	}
	if ids := r.RelIDs("items"); len(ids) != 2 || ids[1] != "i2" || !r.Relationships["items"].Data.IsMany {
		t.Errorf("items = %v", ids)
	}
	null := r.Relationships["appStoreVersionForReview"].Data
	if !null.Present || null.One != nil || null.IsMany {
		t.Errorf("null linkage = %+v", null)
	}
	if absent := r.Relationships["submittedByActor"].Data; absent.Present {
		t.Errorf("absent linkage reported present: %+v", absent)
	}
	if r.RelIDs("submittedByActor") != nil || r.Rel("nope") != "" {
		t.Error("missing relationship returned ids")
	}
	b, _ := json.Marshal(r.Relationships["items"].Data)
	if string(b) != `[{"type":"reviewSubmissionItems","id":"i1"},{"type":"reviewSubmissionItems","id":"i2"}]` {
		t.Errorf("re-marshal = %s", b)
	}
}

func TestDocumentOneManyNull(t *testing.T) {
	var d Document
	_ = json.Unmarshal([]byte(`{"data":null,"links":{"self":"x"}}`), &d)
	if r, err := d.One(); r != nil || err != nil {
		t.Errorf("One(null) = %v, %v", r, err)
	}
	if rs, err := d.Many(); rs != nil || err != nil {
		t.Errorf("Many(null) = %v, %v", rs, err)
	}
	_ = json.Unmarshal([]byte(`{"data":{"type":"builds","id":"1"}}`), &d)
	if _, err := oneOf(&d, "apps"); err == nil {
		t.Error("oneOf accepted the wrong type")
	}
}

func TestLooseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`"2025-04-16T05:00:52.745Z"`, "2025-04-16T05:00:52.745Z"},
		{`"2023-05-10T03:47:56-07:00"`, "2023-05-10T10:47:56Z"},
		{`"2019-10-07T08:50:41.000+0000"`, "2019-10-07T08:50:41Z"},
		{`"2025-12-31"`, "2025-12-31T00:00:00Z"},
		{`"yesterday"`, ""},
		{`null`, ""},
		{`""`, ""},
	}
	for _, tt := range tests {
		var v struct {
			T looseTime `json:"t"`
		}
		if err := json.Unmarshal([]byte(`{"t":`+tt.in+`}`), &v); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		got := ""
		if v.T.t != nil {
			got = v.T.t.UTC().Format(time.RFC3339Nano)
		}
		if got != tt.want {
			t.Errorf("%s → %q, want %q", tt.in, got, tt.want)
		}
	}
}
