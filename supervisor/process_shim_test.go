//go:build linux

package supervisor

import (
	"reflect"
	"strings"
	"testing"
)

func TestShimArgsRoundTrip(t *testing.T) {
	nice := 5
	o := &shimOptions{listenFDs: 2, fdNames: "a:b", hasFDNames: true, reportFD: 5, umask: 0o027, nice: &nice,
		nofile: &[2]uint64{1024, 4096}, groups: []int{1, 2}, gid: 3, uid: 4, chdir: "/srv", chdirOptional: true,
		ignoreSIGPIPE: true, path: "/bin/x", argv: []string{"x", "--", "-y"}}
	got, err := parseShimArgs(o.args()[1:])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, o)
	}
}

func FuzzParseShimArgs(f *testing.F) {
	f.Add("--listen-fds=2 --umask=22 --groups=1,2 -- /bin/x x")
	f.Fuzz(func(t *testing.T, line string) {
		o, err := parseShimArgs(strings.Fields(line))
		if err == nil && (o.path == "" || len(o.argv) == 0) {
			t.Fatalf("accepted %q without PATH and ARGV0", line)
		}
	})
}
