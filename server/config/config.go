// Package config reads the server's settings from the environment; the
// flags of `gehoord serve` mirror the variables and win over them.
package config

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is every setting of one instance.
type Config struct {
	Addr        string
	DataDir     string
	MongoURI    string
	DBName      string
	PublicURL   string
	LogLevel    string
	SecretKey   string
	PushContact string
	// PushHosts are the push services' hosts a subscription's endpoint may
	// name ("*.push.apple.com" for subdomains); nil keeps push's defaults.
	PushHosts []string
	// PushAllowLoopback lets push subscribe and send to loopback addresses.
	// Tests only (their local push services): no variable or flag sets it.
	PushAllowLoopback bool
	RetentionDays     int
	// ContentRetentionDays: this many days after a case closes, everything
	// written in it (description, "about", messages, notes) is erased too;
	// the counts for reports stay. At least RetentionDays.
	ContentRetentionDays int
	// ReportsPerAddress and ReportsPerHour limit new reports through the
	// public form and API: per client address (IPv6: per /64) and for the
	// whole desk, per hour. Outreach tablets' sync is not limited.
	ReportsPerAddress int
	ReportsPerHour    int
	// RateLimitClock is the clock of every rate limit (nil: time.Now).
	// Tests only: their limits' windows are fixed quarter hours and hours,
	// so tests pin it; no variable or flag sets it.
	RateLimitClock func() time.Time
	// TrustedProxies may set X-Forwarded-For (a reverse proxy in front);
	// without it every client would share the proxy's rate limits.
	TrustedProxies []string
	// ShutdownTimeout bounds how long in-flight requests may finish.
	ShutdownTimeout time.Duration
	// DeviceIdle: an outreach tablet's token unused this long stops
	// working; the tablet asks to sign in again and keeps its queue.
	DeviceIdle time.Duration
	// MetricsAddr, when set, serves /metrics (Prometheus text format) on
	// this separate address, which has no sign-in: bind it to loopback or
	// a private network the monitoring reaches.
	MetricsAddr string
	// ReportThreshold: reports show no count below it (never below
	// MinReportThreshold). PilotStart: where the pilot dashboard's
	// cumulative figures begin (zero: 1 January of the current year).
	ReportThreshold int
	PilotStart      time.Time
	// AppSentKeep: how long an outreach tablet keeps a sent item's list
	// entry (time, her language) under the passphrase; 0 drops it at the
	// app's next tidy-up (after a send, or at unlock). At most
	// MaxAppSentKeepHours.
	AppSentKeep time.Duration
}

// MaxAppSentKeepHours bounds AppSentKeep: the list is for the round, not
// an archive of whom the worker met.
const MaxAppSentKeepHours = 168

// MinReportThreshold is the least threshold a desk may set for reports.
const MinReportThreshold = 5

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
	pushHosts := fs.String("push-hosts", env("GEHOORD_PUSH_HOSTS", ""), "comma-separated push service host names an endpoint may point at, *.domain for its subdomains; default the browsers' push services (GEHOORD_PUSH_HOSTS)")
	proxies := fs.String("trusted-proxies", env("GEHOORD_TRUSTED_PROXIES", ""), "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed (GEHOORD_TRUSTED_PROXIES)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("GEHOORD_METRICS_ADDR", ""), "serve /metrics on this separate host:port, without sign-in; empty: off (GEHOORD_METRICS_ADDR)")
	var intErr error
	intEnv := func(k string, def int) int {
		v := strings.TrimSpace(getenv(k))
		if v == "" {
			return def
		}
		if _, err := fmt.Sscan(v, &def); err != nil && intErr == nil {
			intErr = fmt.Errorf("config: %s: %w", k, err)
		}
		return def
	}
	fs.IntVar(&c.RetentionDays, "retention-days", intEnv("GEHOORD_RETENTION_DAYS", 365), "erase names and contacts this many days after a case closes (GEHOORD_RETENTION_DAYS)")
	fs.IntVar(&c.ContentRetentionDays, "content-retention-days", intEnv("GEHOORD_CONTENT_RETENTION_DAYS", 0), "erase descriptions, messages and notes this many days after a case closes; at least the retention days; 0: 730 or the retention days if more (GEHOORD_CONTENT_RETENTION_DAYS)")
	fs.IntVar(&c.ReportsPerAddress, "reports-per-address", intEnv("GEHOORD_REPORTS_PER_ADDRESS", 10), "new reports per hour from one client address, IPv6 per /64 (GEHOORD_REPORTS_PER_ADDRESS)")
	fs.IntVar(&c.ReportsPerHour, "reports-per-hour", intEnv("GEHOORD_REPORTS_PER_HOUR", 200), "new reports per hour through the public form and API, all clients together (GEHOORD_REPORTS_PER_HOUR)")
	var idleDays int
	fs.IntVar(&idleDays, "device-idle-days", intEnv("GEHOORD_DEVICE_IDLE_DAYS", 30), "a tablet's token stops working after this many days without a sync (GEHOORD_DEVICE_IDLE_DAYS)")
	fs.IntVar(&c.ReportThreshold, "report-threshold", intEnv("GEHOORD_REPORT_THRESHOLD", 10), "reports show counts below this as \"< n\", at least 5 (GEHOORD_REPORT_THRESHOLD)")
	var sentKeepHours int
	fs.IntVar(&sentKeepHours, "app-sent-keep-hours", intEnv("GEHOORD_APP_SENT_KEEP_HOURS", 12), "an outreach tablet forgets a sent report's list entry after this many hours, 0 to 168; 0: as soon as the unlocked app tidies its list (GEHOORD_APP_SENT_KEEP_HOURS)")
	pilotStart := fs.String("pilot-start", env("GEHOORD_PILOT_START", ""), "first day of the pilot, YYYY-MM-DD, for the evaluation dashboard (GEHOORD_PILOT_START)")
	if intErr != nil {
		return c, intErr
	}
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
	if *pushHosts != "" {
		hosts, err := parsePushHosts(*pushHosts)
		if err != nil {
			return c, err
		}
		c.PushHosts = hosts
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("config: GEHOORD_ADDR %q is not host:port: %w", c.Addr, err)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return c, fmt.Errorf("config: GEHOORD_METRICS_ADDR %q is not host:port: %w", c.MetricsAddr, err)
		}
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
	if c.ContentRetentionDays == 0 {
		c.ContentRetentionDays = max(730, c.RetentionDays)
	}
	if c.ContentRetentionDays < c.RetentionDays {
		return c, fmt.Errorf("config: GEHOORD_CONTENT_RETENTION_DAYS must be at least GEHOORD_RETENTION_DAYS")
	}
	if c.ReportsPerAddress < 1 || c.ReportsPerHour < 1 {
		return c, fmt.Errorf("config: GEHOORD_REPORTS_PER_ADDRESS and GEHOORD_REPORTS_PER_HOUR must be at least 1")
	}
	if idleDays < 1 {
		return c, fmt.Errorf("config: GEHOORD_DEVICE_IDLE_DAYS must be at least one day")
	}
	c.DeviceIdle = time.Duration(idleDays) * 24 * time.Hour
	if c.ReportThreshold < MinReportThreshold {
		return c, fmt.Errorf("config: GEHOORD_REPORT_THRESHOLD must be at least %d", MinReportThreshold)
	}
	if sentKeepHours < 0 || sentKeepHours > MaxAppSentKeepHours {
		return c, fmt.Errorf("config: GEHOORD_APP_SENT_KEEP_HOURS must be 0 to %d", MaxAppSentKeepHours)
	}
	c.AppSentKeep = time.Duration(sentKeepHours) * time.Hour
	if *pilotStart != "" {
		t, err := time.Parse(time.DateOnly, *pilotStart)
		if err != nil {
			return c, fmt.Errorf("config: GEHOORD_PILOT_START %q is not a date (YYYY-MM-DD)", *pilotStart)
		}
		c.PilotStart = t
	}
	return c, nil
}

// parsePushHosts reads GEHOORD_PUSH_HOSTS: host names, or "*." and a
// domain of at least two labels. No scheme, port, path or address: the
// list says which push services exist, the sender decides how to reach
// them (https, public addresses only).
func parsePushHosts(v string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(v, ",") {
		h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
		if h == "" {
			continue
		}
		name, wild := strings.CutPrefix(h, "*.")
		if !hostName(name) || (wild && !strings.Contains(name, ".")) {
			return nil, fmt.Errorf("config: GEHOORD_PUSH_HOSTS: %q is not a host name or *.domain", h)
		}
		if _, err := netip.ParseAddr(name); err == nil || strings.Trim(name, "0123456789.") == "" {
			return nil, fmt.Errorf("config: GEHOORD_PUSH_HOSTS: %q is an address; name the push service", h)
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("config: GEHOORD_PUSH_HOSTS names no host; leave it unset for the default push services")
	}
	return out, nil
}

// hostName says whether s is a DNS name: labels of letters, digits and
// inner hyphens, 1 to 63 characters each.
func hostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
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
