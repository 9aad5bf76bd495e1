//go:build linux

package supervisor

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadDebounce is how long the unit directories must stay quiet before a reload: editors and
// package managers write a file in several steps (temporary file, rename, chmod).
const reloadDebounce = 200 * time.Millisecond

// watcher watches the unit directories (directories, not files: a file watch dies when an editor
// replaces the inode) and signals C once changes have settled.
type watcher struct {
	w    *fsnotify.Watcher
	log  *slog.Logger
	C    chan struct{}
	dirs map[string]bool
	wg   sync.WaitGroup
	done chan struct{}
}

// newWatcher starts a watcher with no directories yet.
func newWatcher(log *slog.Logger) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{w: fw, log: log, C: make(chan struct{}, 1), dirs: map[string]bool{}, done: make(chan struct{})}
	w.wg.Add(1)
	go w.loop()
	return w, nil
}

// set makes dirs the watched directories.
func (w *watcher) set(dirs []string) {
	want := map[string]bool{}
	for _, d := range dirs {
		want[d] = true
		if !w.dirs[d] {
			if err := w.w.Add(d); err != nil {
				w.log.Warn("cannot watch directory", "dir", d, "err", err)
				continue
			}
			w.dirs[d] = true
		}
	}
	for d := range w.dirs {
		if !want[d] {
			_ = w.w.Remove(d)
			delete(w.dirs, d)
		}
	}
}

func (w *watcher) loop() {
	defer w.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-w.done:
			return
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod || !unitRelated(ev.Name) {
				continue
			}
			t.Reset(reloadDebounce)
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				t.Reset(reloadDebounce) // events were lost: rescan everything
				continue
			}
			w.log.Warn("watching unit directories", "err", err)
		case <-t.C:
			select {
			case w.C <- struct{}{}:
			default: // a reload is already pending; it will read the latest files
			}
		}
	}
}

// unitRelated reports whether a changed path can matter to the unit set: unit files, drop-ins,
// and the *.d / *.wants directories (other files in a unit directory, such as a log, do not).
func unitRelated(path string) bool {
	for _, suf := range []string{".socket", ".service", ".conf", ".d", ".wants"} {
		if strings.HasSuffix(path, suf) {
			return true
		}
	}
	return false
}

// close stops watching.
func (w *watcher) close() {
	close(w.done)
	w.w.Close()
	w.wg.Wait()
}
