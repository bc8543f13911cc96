// Package config reads the server's settings from the environment; the
// flags of `gehoord serve` mirror the variables and win over them.
package config

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is every setting of one instance.
type Config struct {
	Addr          string
	DataDir       string
	MongoURI      string
	DBName        string
	PublicURL     string
	LogLevel      string
	SecretKey     string
	PushContact   string
	RetentionDays int
	// TrustedProxies may set X-Forwarded-For (a reverse proxy in front);
	// without it every client would share the proxy's rate limits.
	TrustedProxies []string
	// ShutdownTimeout bounds how long in-flight requests may finish.
	ShutdownTimeout time.Duration
	// DeviceIdle: an outreach tablet's token unused this long stops
	// working; the tablet asks to sign in again and keeps its queue.
	DeviceIdle time.Duration
}

// FromEnv reads the environment, then lets flags in args override it.
func FromEnv(args []string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{ShutdownTimeout: 20 * time.Second}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", env("GEHOORD_ADDR", "127.0.0.1:8080"), "listen address host:port (GEHOORD_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("GEHOORD_DATA_DIR", "./data"), "embedded database and generated keys (GEHOORD_DATA_DIR)")
	fs.StringVar(&c.MongoURI, "mongodb-uri", env("GEHOORD_MONGODB_URI", ""), "use this MongoDB instead of the embedded database (GEHOORD_MONGODB_URI)")
	fs.StringVar(&c.DBName, "db-name", env("GEHOORD_DB_NAME", "gehoord"), "database name (GEHOORD_DB_NAME)")
	fs.StringVar(&c.PublicURL, "public-url", env("GEHOORD_PUBLIC_URL", ""), "base URL on cards and in links (GEHOORD_PUBLIC_URL)")
	fs.StringVar(&c.LogLevel, "log-level", env("GEHOORD_LOG_LEVEL", "info"), "debug, info, warn or error (GEHOORD_LOG_LEVEL)")
	fs.StringVar(&c.SecretKey, "secret-key", env("GEHOORD_SECRET_KEY", ""), "base64 32-byte key sealing personal fields (GEHOORD_SECRET_KEY)")
	fs.StringVar(&c.PushContact, "push-contact", env("GEHOORD_PUSH_CONTACT", ""), "VAPID contact, mailto: or https: (GEHOORD_PUSH_CONTACT)")
	proxies := fs.String("trusted-proxies", env("GEHOORD_TRUSTED_PROXIES", ""), "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed (GEHOORD_TRUSTED_PROXIES)")
	days := 365
	if v := getenv("GEHOORD_RETENTION_DAYS"); v != "" {
		if _, err := fmt.Sscan(v, &days); err != nil {
			return c, fmt.Errorf("config: GEHOORD_RETENTION_DAYS: %w", err)
		}
	}
	fs.IntVar(&c.RetentionDays, "retention-days", days, "erase names and contacts this many days after a case closes (GEHOORD_RETENTION_DAYS)")
	idleDays := 30
	if v := getenv("GEHOORD_DEVICE_IDLE_DAYS"); v != "" {
		if _, err := fmt.Sscan(v, &idleDays); err != nil {
			return c, fmt.Errorf("config: GEHOORD_DEVICE_IDLE_DAYS: %w", err)
		}
	}
	fs.IntVar(&idleDays, "device-idle-days", idleDays, "a tablet's token stops working after this many days without a sync (GEHOORD_DEVICE_IDLE_DAYS)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return c, fmt.Errorf("config: GEHOORD_TRUSTED_PROXIES: %q is not an IP or CIDR", p)
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("config: GEHOORD_ADDR %q is not host:port: %w", c.Addr, err)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("config: GEHOORD_PUBLIC_URL %q is not an http(s) URL", c.PublicURL)
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		return c, err
	}
	if c.RetentionDays < 1 {
		return c, fmt.Errorf("config: retention must be at least one day")
	}
	if idleDays < 1 {
		return c, fmt.Errorf("config: GEHOORD_DEVICE_IDLE_DAYS must be at least one day")
	}
	c.DeviceIdle = time.Duration(idleDays) * 24 * time.Hour
	return c, nil
}

// Secure says whether the desk is reached over TLS (cookies get Secure,
// responses HSTS).
func (c Config) Secure() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// ParseLevel maps the configured level to slog's.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("config: log level %q is not debug, info, warn or error", s)
}
