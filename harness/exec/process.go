package exec

import (
	"bytes"
	"errors"
	"io"
	"os"
	osexec "os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
)

// process is the stack's program, running, and the two pipes tcpbed
// speaks to it over. The pipes block (where the system allows, see
// newPipe): a request and its reply cost a write and a read, with no trip
// through the runtime's poller (BenchmarkRoundTrip with lwIP, on this
// machine: 25 µs so, 34 µs through the poller). A watchdog bounds the
// real time each read and write may take instead of a deadline: when it
// fires, it kills the program (and its process group), the blocked call
// returns, and tcpbed says the stack did not answer in time. So a stack
// that stops answering costs a timeout, never a hang.
type process struct {
	cmd    *osexec.Cmd
	in     *os.File // its standard input, tcpbed's end
	out    *os.File // its standard output, tcpbed's end
	frames *peerproto.FrameReader
	stderr *tailBuffer

	watchdog *time.Timer
	timedOut atomic.Bool // the watchdog fired

	waitOnce sync.Once
	waitErr  error
	exited   chan struct{} // closed once Wait has returned
	killed   bool          // tcpbed killed it: it did not exit by itself
}

// stderrKept is how much of the end of a stack's standard error tcpbed
// keeps, to show when the stack fails.
const stderrKept = 4 << 10

// startProcess starts argv with its standard input and output on pipes.
// Its standard error goes to a buffer of its last lines, and to tee too,
// if set.
func startProcess(argv []string, tee io.Writer) (*process, error) {
	inR, inW, err := newPipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := newPipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	widen(inW)
	widen(outR)
	p := &process{in: inW, out: outR, stderr: &tailBuffer{max: stderrKept}, exited: make(chan struct{})}
	p.cmd = osexec.Command(argv[0], argv[1:]...)
	ownGroup(p.cmd)
	p.cmd.Stdin, p.cmd.Stdout = inR, outW
	p.cmd.Stderr = p.stderr
	if tee != nil {
		p.cmd.Stderr = io.MultiWriter(p.stderr, tee)
	}
	// A stack that leaves a child holding its standard error open must
	// not keep Wait from returning.
	p.cmd.WaitDelay = time.Second
	err = p.cmd.Start()
	// The child has its own copies of its ends now (or none, if it did not
	// start); tcpbed's copies would keep the pipes open past its exit.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	p.frames = peerproto.NewFrameReader(p.out)
	p.watchdog = time.AfterFunc(time.Hour, p.overdue)
	p.watchdog.Stop()
	return p, nil
}

// overdue is the watchdog's: the program took longer than it may.
func (p *process) overdue() {
	p.timedOut.Store(true)
	killGroup(p.cmd.Process)
}

// watched runs op, a read or write on the pipes, with the watchdog set
// for deadline. Once the watchdog has fired, every op fails with
// os.ErrDeadlineExceeded, as a read past a deadline does.
func (p *process) watched(deadline time.Time, op func() error) error {
	if p.timedOut.Load() {
		return os.ErrDeadlineExceeded
	}
	p.watchdog.Reset(time.Until(deadline))
	err := op()
	if !p.watchdog.Stop() || p.timedOut.Load() {
		return os.ErrDeadlineExceeded
	}
	return err
}

// send writes one or more whole frames by deadline.
func (p *process) send(frames []byte, deadline time.Time) error {
	return p.watched(deadline, func() error {
		_, err := p.in.Write(frames)
		return err
	})
}

// pending reports whether the program has written anything tcpbed has not
// read: bytes buffered, or waiting in the pipe (pipeBytes).
func (p *process) pending() bool {
	if p.frames.Buffered() > 0 {
		return true
	}
	rc, err := p.out.SyscallConn()
	if err != nil {
		return false
	}
	n := 0
	rc.Control(func(fd uintptr) { n = pipeBytes(fd) })
	return n > 0
}

// next reads the next frame by deadline.
func (p *process) next(deadline time.Time) (fr peerproto.Frame, err error) {
	err = p.watched(deadline, func() error {
		fr, err = p.frames.Next()
		return err
	})
	return fr, err
}

// wait waits up to grace for the program to exit, then kills it, and
// returns how it ended (Wait's error: nil for status 0).
func (p *process) wait(grace time.Duration) error {
	p.reap()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
		p.kill()
	}
	return p.waitErr
}

// reap starts, once, the goroutine that waits for the program to exit
// (it ends when the program does).
func (p *process) reap() {
	p.waitOnce.Do(func() {
		go func() {
			p.waitErr = p.cmd.Wait()
			close(p.exited)
		}()
	})
}

// kill ends the program at once and reaps it.
func (p *process) kill() error {
	p.reap()
	select {
	case <-p.exited:
	default:
		p.killed = true
		killGroup(p.cmd.Process)
		<-p.exited
	}
	return p.waitErr
}

// close ends a run: end of file on the program's input, then up to grace
// for it to exit before it is killed. It reports how the program ended.
func (p *process) close(grace time.Duration) error {
	p.in.Close()
	err := p.wait(grace)
	p.watchdog.Stop()
	p.out.Close()
	return err
}

// howItEnded says how a program that was waited for ended.
func howItEnded(err error) string {
	var exit *osexec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &exit):
		return exit.String() // "exit status 2", "signal: killed"
	}
	return err.Error()
}

// stderrTail is the last lines the program wrote to its standard error,
// indented, or "" if none.
func (p *process) stderrTail() string {
	b := bytes.TrimSpace(p.stderr.bytes())
	if len(b) == 0 {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > stderrLines {
		lines = lines[len(lines)-stderrLines:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// stderrLines is how many of its last lines of standard error a failing
// stack's message shows.
const stderrLines = 12

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.b...)
}
