package socketunit

import "testing"

func TestSuggestKey(t *testing.T) {
	for _, c := range []struct{ section, key, want string }{
		{"Socket", "Sevice", "Service"},
		{"Socket", "listenstream", "ListenStream"},
		{"Socket", "ListenStrem", "ListenStream"},
		{"Socket", "Backlg", "Backlog"},
		{"Socket", "Description", ""}, // a [Unit] key: nothing close in [Socket]
		{"Unit", "Descripton", "Description"},
		{"Socket", "Foo", ""},
	} {
		if got := suggestKey(c.section, c.key); got != c.want {
			t.Errorf("suggestKey(%s, %s) = %q, want %q", c.section, c.key, got, c.want)
		}
	}
}
