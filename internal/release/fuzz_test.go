package release

import "testing"

// FuzzParseSnapshot: whatever a button value holds, the parser never
// panics; what it accepts names an app and a version (or, on a TestFlight
// card, a build) and survives a round trip through Encode.
func FuzzParseSnapshot(f *testing.F) {
	for _, s := range []string{
		"s1|123|v-1|PREPARE_FOR_SUBMISSION|b4||7|b3", "s1|a|v|S|b|s|1|", "s1||v|S|b|s|1|", "s1|a|v|S|b|s|-0|x",
		"s1|a|v|S|b|s|+3|x", "s2|a|v|S|b|s|1|x", "", "|||||||", "s1|a|v|S|b|s|99999999999999999999|x", "s1|a||S,T|b||2|g", "s1|a||S|||1|",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := ParseSnapshot(v)
		if err != nil {
			return
		}
		if s.AppID == "" || s.VersionID == "" && s.BuildID == "" {
			t.Fatalf("ParseSnapshot(%q) accepted %+v without app, or without version and build", v, s)
		}
		again, err := ParseSnapshot(s.Encode())
		if err != nil || again != s {
			t.Fatalf("round trip of %q: %+v → %q → %+v, %v", v, s, s.Encode(), again, err)
		}
	})
}
