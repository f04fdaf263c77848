// ${{ values.name }}: a Go service made with K2's "New K2 service" template. Standard
// library only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const service = "${{ values.name }}"

// logger writes one JSON object per line to stdout, and to K2's log directory when it
// is there (a release mounts /log-dir; the image creates it).
type logger struct {
	mu  sync.Mutex
	out io.Writer
}

func newLogger() *logger {
	dir := os.Getenv("LOG_DIR")
	if dir == "" {
		dir = "/log-dir"
	}
	var out io.Writer = os.Stdout
	if f, err := os.OpenFile(filepath.Join(dir, service+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
		out = io.MultiWriter(os.Stdout, f)
	}
	return &logger{out: out}
}

func (l *logger) log(level, message string, fields map[string]any) {
	entry := map[string]any{
		"time":    time.Now().UTC().Format(time.RFC3339Nano),
		"level":   level,
		"service": service,
		"message": message,
	}
	for k, v := range fields {
		entry[k] = v
	}
	line, _ := json.Marshal(entry)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.Write(append(line, '\n'))
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func main() {
	log := newLogger()
	port := ${{ values.port }}
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil {
		port = p
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		if r.URL.Path != "/" {
			reply(w, http.StatusNotFound, map[string]string{"error": "not found"})
		} else {
			reply(w, http.StatusOK, map[string]string{"service": service, "message": "Hello from K2"})
		}
		log.log("info", "request", map[string]any{
			"method": r.Method, "path": r.URL.Path, "ms": float64(time.Since(started).Microseconds()) / 1000,
		})
	})

	server := &http.Server{Addr: ":" + strconv.Itoa(port), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		log.log("info", "listening", map[string]any{"port": port})
		if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.log("error", "server failed", map[string]any{"error": err.Error()})
			os.Exit(1)
		}
	}()

	// Kubernetes stops a pod with SIGTERM: finish the requests in flight, then exit.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	log.log("info", "stopping", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	server.Shutdown(ctx)
}
