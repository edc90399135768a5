package asc

import (
	"encoding/json"
	"testing"
)

// TestRelatedDecodesIncludedInLinkageOrder covers the typed decoding of
// included resources: linkage order, a relationship not included, a linkage
// capped by limit[…] (meta.paging.total larger), and a linked resource that
// the document left out.
func TestRelatedDecodesIncludedInLinkageOrder(t *testing.T) {
	t.Parallel()
	const raw = `{
	  "data": {"type":"appStoreVersions","id":"v1","attributes":{"versionString":"1.1"},
	    "relationships":{
	      "appStoreVersionLocalizations":{"data":[{"type":"appStoreVersionLocalizations","id":"l2"},{"type":"appStoreVersionLocalizations","id":"l1"}],
	        "meta":{"paging":{"total":3,"limit":2}}},
	      "build":{"data":{"type":"builds","id":"b9"}},
	      "appStoreVersionPhasedRelease":{"data":{"type":"appStoreVersionPhasedReleases","id":"p1"}},
	      "app":{"links":{"related":"x"}}}},
	  "included":[
	    {"type":"appStoreVersionLocalizations","id":"l1","attributes":{"locale":"ja","whatsNew":"速い"}},
	    {"type":"appStoreVersionLocalizations","id":"l2","attributes":{"locale":"en-US","whatsNew":"Fast"}},
	    {"type":"appStoreVersionPhasedReleases","id":"p1","attributes":{"phasedReleaseState":"ACTIVE","currentDayNumber":3}}
	  ],
	  "links":{"self":"x"}}`
	var doc Document
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	r, err := oneOf(&doc, "appStoreVersions")
	if err != nil {
		t.Fatal(err)
	}
	d, err := versionDetailFrom(r, &doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Localizations) != 2 || d.Localizations[0].Locale != "en-US" || d.Localizations[1].WhatsNew != "速い" || d.Localizations[0].VersionID != "v1" {
		t.Errorf("localizations = %+v", d.Localizations)
	}
	if d.LocalizationsComplete {
		t.Error("a linkage capped by limit[…] (total 3, 2 sent) was reported complete")
	}
	if d.Build != nil {
		t.Errorf("build b9 is linked but not included; got %+v", d.Build)
	}
	if d.Phased == nil || d.Phased.State != PhasedActive || d.Phased.CurrentDayNumber != 3 {
		t.Errorf("phased = %+v", d.Phased)
	}
	if _, ok, _, _ := related(&doc, r, "app", "apps", appFrom); ok {
		t.Error("a relationship with links only was reported as included")
	}
	if _, ok, complete, _ := related(&doc, r, "build", "builds", func(r *Resource) (Build, error) { return buildFrom(r, &doc) }); !ok || complete {
		t.Errorf("build linked but absent: ok=%v complete=%v, want true/false", ok, complete)
	}
}
