package asc

import "testing"

func TestMaskEmail(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ana.lopez@example.com", "a***z@example.com"},
		{"al@example.com", "a***@example.com"},
		{"a@example.com", "a***@example.com"},
		{"weird@name@example.com", "w***e@example.com"},
		{"no-at-sign", "***"},
		{"@example.com", "***"},
		{"", "***"},
		{"José.Ñú@example.jp", "J***ú@example.jp"},
	}
	for _, tt := range tests {
		if got := MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzMaskEmail(f *testing.F) {
	for _, s := range []string{"ana@example.com", "", "@", "a@b", "x@@y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := MaskEmail(s)
		if len(s) > 6 && m == s {
			t.Fatalf("MaskEmail(%q) returned the email unchanged", s)
		}
	})
}
