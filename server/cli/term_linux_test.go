package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the test types on master, the command
// reads from the terminal end.
func openPTY(t *testing.T) (master, term *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// screen collects what a terminal shows on its master side.
type screen struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func watch(master *os.File) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		b := make([]byte, 256)
		for {
			n, err := master.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *screen) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

// waitPrompts polls until the screen shows n prompts (text ending in
// ": ") or the command has finished.
func (s *screen) waitPrompts(n int, finished <-chan struct{}) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(s.String(), ": ") >= n {
			return true
		}
		select {
		case <-finished:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// TestPasswordIsNotEchoed: typed on a terminal, the password of `user add`
// and `user passwd` never appears on the screen (the terminal shows what
// it echoes on its master side).
func TestPasswordIsNotEchoed(t *testing.T) {
	env := cliEnv(t)
	for _, tc := range []struct {
		args []string
		pw   string
	}{
		{[]string{"user", "add", "--email", "echo@desk.test", "--role", "handler"}, "secret typed at the prompt"},
		{[]string{"user", "passwd", "--email", "echo@desk.test"}, "another secret typed here"},
	} {
		master, term := openPTY(t)
		scr := watch(master)
		finished := make(chan struct{})
		var code int
		go func() { code = Run(tc.args, term, term, term); close(finished) }()
		// Type at each prompt: the password, and once more when asked to
		// repeat it.
		for i := 1; i <= 2; i++ {
			if !scr.waitPrompts(i, finished) {
				break
			}
			_, _ = master.Write([]byte(tc.pw + "\n"))
		}
		select {
		case <-finished:
		case <-time.After(60 * time.Second):
			t.Fatalf("%v did not finish; screen:\n%s", tc.args, scr)
		}
		term.Close()
		master.Close()
		<-scr.done
		shown := scr.String()
		if code != 0 {
			t.Fatalf("%v: exit %d; screen:\n%s", tc.args, code, shown)
		}
		if strings.Contains(shown, tc.pw) {
			t.Fatalf("%v: the password was echoed; screen:\n%s", tc.args, shown)
		}
		if _, err := env.Deps.Staff.CheckPassword(t.Context(), "echo@desk.test", tc.pw, ""); err != nil {
			t.Fatalf("%v: the typed password does not sign in: %v", tc.args, err)
		}
	}
}
