// Package config is Siyu's configuration: defaults, then SIYU_* environment variables, then
// command-line flags (bound by cmd/siyu). It only reads and checks settings; it opens nothing.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Config is everything the server needs to start.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string
	// DataDir holds the SQLite database and, when no key is configured, the secret key file.
	DataDir string
	// DB is a PostgreSQL URL; empty means embedded SQLite in DataDir.
	DB string
	// SecretKey (base64, 32 bytes) seals stored secrets. Empty: DataDir/secret.key, created on
	// first start. Replicas sharing one PostgreSQL must share one key.
	SecretKey string
	// LogLevel is debug, info, warn or error; LogFormat is text or json.
	LogLevel  string
	LogFormat string
	// FontPath is a CJK font for rendered images (QR sheets, posters).
	FontPath string
}

// Default returns the defaults overlaid with SIYU_* environment variables.
func Default() Config {
	c := Config{
		Addr:      ":8080",
		DataDir:   "data",
		LogLevel:  "info",
		LogFormat: "text",
		FontPath:  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	}
	env := map[string]*string{
		"SIYU_ADDR": &c.Addr, "SIYU_DATA": &c.DataDir, "SIYU_DB": &c.DB, "SIYU_SECRET_KEY": &c.SecretKey,
		"SIYU_LOG_LEVEL": &c.LogLevel, "SIYU_LOG_FORMAT": &c.LogFormat, "SIYU_FONT": &c.FontPath,
	}
	for k, p := range env {
		if v, ok := os.LookupEnv(k); ok && v != "" {
			*p = v
		}
	}
	return c
}

// Vars lists the environment variables for the README and --help.
var Vars = []struct{ Name, Flag, Default, Meaning string }{
	{"SIYU_ADDR", "--addr", ":8080", "HTTP listen address"},
	{"SIYU_DATA", "--data", "data", "directory for the embedded SQLite database and the generated secret key"},
	{"SIYU_DB", "--db", "(empty)", "PostgreSQL URL, e.g. postgres://siyu@db/siyu; empty = embedded SQLite"},
	{"SIYU_SECRET_KEY", "--secret-key", "(DATA/secret.key)", "base64 32-byte key sealing stored secrets; share it between replicas"},
	{"SIYU_LOG_LEVEL", "--log-level", "info", "debug, info, warn, error"},
	{"SIYU_LOG_FORMAT", "--log-format", "text", "text or json"},
	{"SIYU_FONT", "", "Noto Sans CJK", "CJK font for rendered images"},
}

// Logger builds the slog logger the configuration asks for.
func (c Config) Logger(w *os.File) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("config: log level %q: use debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("config: log format %q: use text or json", c.LogFormat)
}
