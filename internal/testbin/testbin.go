// Package testbin builds the sockvisor binary once per test process, for integration tests that
// run the real binary.
//
// Typical use:
//
//	func TestMain(m *testing.M) { testbin.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		bin := testbin.Path(t)
//		out, err := exec.Command(bin, "verify", "x.socket").CombinedOutput()
//		…
//	}
package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// built is shared by every test of the process: one build, one directory.
var built struct {
	once sync.Once
	bin  string
	err  error
}

func build() (string, error) {
	built.once.Do(func() { built.bin, built.err = compile() })
	return built.bin, built.err
}

func compile() (string, error) {
	dir, err := os.MkdirTemp("", "sockvisor-testbin-")
	if err != nil {
		return "", err
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(dir, "sockvisor")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sockvisor")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

// Path returns the path of a freshly built sockvisor binary; the test fails if it cannot be built.
func Path(t testing.TB) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Main runs the tests and removes the built binary afterwards; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if built.bin != "" {
		os.RemoveAll(filepath.Dir(built.bin))
	}
	os.Exit(code)
}
