package audit

import (
	"context"
	"log/slog"
)

// LogSink writes the human-readable access log: one info line per request
// through log (stdout/stderr at --log-level info). Checkpoints go at debug.
type LogSink struct{ log *slog.Logger }

// NewLogSink returns a LogSink writing to log.
func NewLogSink(log *slog.Logger) *LogSink { return &LogSink{log: log} }

// Write implements Sink.
func (s *LogSink) Write(line []byte, r *Record) error {
	ctx := context.Background()
	switch {
	case r == nil:
		if s.log.Enabled(ctx, slog.LevelDebug) {
			s.log.Debug("audit: checkpoint", "line", string(line[:len(line)-1]))
		}
	case r.Type == TypeDropped:
		s.log.Warn("audit: records dropped", "count", r.Dropped, "seq", r.Seq)
	case s.log.Enabled(ctx, slog.LevelInfo):
		s.log.Info("access", "op", r.Operation, "status", r.Status, "code", r.ErrorCode,
			"bucket", r.Bucket, "key", r.Key, "principal", r.Principal, "ip", r.SourceIP,
			"in", r.BytesIn, "out", r.BytesOut, "ms", r.DurationMS, "id", r.RequestID)
	}
	return nil
}

// Flush implements Sink.
func (s *LogSink) Flush() error { return nil }

// Close implements Sink.
func (s *LogSink) Close() error { return nil }
