package app

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// A client that sends its body slowly, or keeps an idle connection, is cut
// off: with only ReadHeaderTimeout set, 200 slow uploads held connections
// open for 30 s and more.
func TestHTTPListenerCutsSlowAndIdleClients(t *testing.T) {
	t.Parallel()
	if d := defaultHTTPTimeouts; d.ReadHeader <= 0 || d.Read <= 0 || d.Write <= 0 || d.Idle <= 0 {
		t.Fatalf("default timeouts %+v: every one must be set", d)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}), httpTimeouts{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond, Write: 300 * time.Millisecond, Idle: 300 * time.Millisecond})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	for _, tc := range []struct{ name, send string }{
		{"slow body", "POST /webhooks/appstoreconnect HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"data\":"},
		{"idle after a request", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"},
		{"slow headers", "POST /webhooks/appstoreconnect HTTP/1.1\r\nHost: x\r\n"},
	} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprint(c, tc.send); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, c) // returns when the server closes the connection
		if d := time.Since(start); err != nil || d > 3*time.Second {
			t.Errorf("%s: connection held %v (err %v), want it closed within the timeouts", tc.name, d, err)
		}
		c.Close()
	}
}
