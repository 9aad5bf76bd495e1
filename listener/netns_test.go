//go:build linux

package listener

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sockvisor/sockvisor/socketunit"
)

// netns creates a network namespace with a veth pair (sv0 up with 10.99.0.1/24, its peer sv1)
// and removes it when the test ends.
func netns(t *testing.T) string {
	t.Helper()
	needRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) not installed")
	}
	ns := fmt.Sprintf("sockvisor-listener-%d", os.Getpid())
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("-n", ns, "link", "add", "sv0", "type", "veth", "peer", "name", "sv1")
	ip("-n", ns, "link", "set", "lo", "up")
	ip("-n", ns, "link", "set", "sv0", "up")
	ip("-n", ns, "link", "set", "sv1", "up")
	ip("-n", ns, "addr", "add", "10.99.0.1/24", "dev", "sv0")
	return ns
}

// TestBindToDeviceVeth binds to a veth inside a namespace of its own: the option reads back,
// and a device that does not exist there fails the unit.
func TestBindToDeviceVeth(t *testing.T) {
	ns := netns(t)
	u := newUnit("veth.socket",
		listenInet(socketunit.ListenStream, "0.0.0.0", 8080),
		listenInet(socketunit.ListenDatagram, "::", 8080))
	u.BindToDevice = "sv0"
	res, stderr := runHelper(t, helperCmd(t, u, "ip", "netns", "exec", ns))
	if res.Error != "" || len(res.Reports) != 2 {
		t.Fatalf("%v\n%s", res, stderr)
	}
	for _, r := range res.Reports {
		if b := reading(t, r, "BindToDevice"); b.Value != "sv0" || !b.OK() {
			t.Errorf("%s: BindToDevice reads back %+v", r.Address, b)
		}
	}
	u.BindToDevice = "sv9"
	res, _ = runHelper(t, helperCmd(t, u, "ip", "netns", "exec", ns))
	if want := "veth.socket: Failed to create listening socket (0.0.0.0:8080): set BindToDevice: no such device"; res.Error != want {
		t.Errorf("error = %q, want %q", res.Error, want)
	}
}
