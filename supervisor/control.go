//go:build linux

package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// UnitStatus is one socket unit as `sockvisor status` shows it.
type UnitStatus struct {
	Unit         string         `json:"unit"`
	Path         string         `json:"path"`
	State        string         `json:"state"`
	Result       string         `json:"result"`
	Listen       []ListenStatus `json:"listen"`
	Activates    []string       `json:"activates"`
	MainPID      int            `json:"main_pid,omitempty"` // Accept=no: the running service's main process
	NAccepted    uint64         `json:"n_accepted"`
	NConnections uint64         `json:"n_connections"`
	NRefused     uint64         `json:"n_refused"`
}

// ListenStatus is one Listen*= entry of a unit.
type ListenStatus struct {
	Type    string `json:"type"`    // "Stream", "Datagram", "SequentialPacket", "FIFO", …
	Address string `json:"address"` // as systemctl list-sockets prints it
}

// DefaultControlPath is where `run` listens and `status` connects by default:
// $RUNTIME_DIRECTORY/control.sock when set (a service manager gave us a runtime directory),
// else /run/sockvisor/control.sock for root and $XDG_RUNTIME_DIR/sockvisor/control.sock (or
// /tmp/sockvisor-UID/control.sock) for other users.
func DefaultControlPath(getenv func(string) string) string {
	if d := getenv("RUNTIME_DIRECTORY"); d != "" {
		return filepath.Join(filepath.SplitList(d)[0], "control.sock")
	}
	if os.Geteuid() == 0 {
		return "/run/sockvisor/control.sock"
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "sockvisor", "control.sock")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("sockvisor-%d", os.Geteuid()), "control.sock")
}

// controlServer answers status requests on a UNIX socket, one line of JSON per request.
type controlServer struct {
	ln   *net.UnixListener
	path string
	req  chan<- chan []UnitStatus
	log  *slog.Logger
	wg   sync.WaitGroup
	done chan struct{}
}

// listenControl opens the control socket at path (replacing a stale one) and serves it.
func listenControl(path string, req chan<- chan []UnitStatus, log *slog.Logger) (*controlServer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another sockvisor run is using it", path)
	}
	_ = os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	s := &controlServer{ln: ln, path: path, req: req, log: log, done: make(chan struct{})}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func (s *controlServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("control socket", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.handle(c)
	}
}

// handle answers one client; requests are served one at a time (status is cheap).
func (s *controlServer) handle(c *net.UnixConn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	var req struct {
		Command string `json:"command"`
	}
	if json.Unmarshal([]byte(line), &req) != nil || req.Command != "status" {
		_ = json.NewEncoder(c).Encode(map[string]string{"error": "unknown command"})
		return
	}
	reply := make(chan []UnitStatus, 1)
	select {
	case s.req <- reply:
	case <-s.done:
		return
	}
	var st []UnitStatus
	select {
	case st = <-reply:
	case <-s.done:
		return
	}
	_ = json.NewEncoder(c).Encode(map[string]any{"units": st})
}

// close stops serving and removes the socket.
func (s *controlServer) close() {
	close(s.done)
	s.ln.Close()
	s.wg.Wait()
}

// QueryStatus asks the supervisor listening on the control socket at path for its units.
func QueryStatus(ctx context.Context, path string) ([]UnitStatus, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("connect to %s (is sockvisor run running?): %w", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte(`{"command":"status"}` + "\n")); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	var resp struct {
		Units []UnitStatus `json:"units"`
		Error string       `json:"error"`
	}
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("control socket %s: %s", path, resp.Error)
	}
	return resp.Units, nil
}
