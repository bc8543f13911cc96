package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsAndFlagsOverEnv(t *testing.T) {
	c, err := FromEnv(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.DBName != "gehoord" || c.PublicURL != "http://127.0.0.1:8080" ||
		c.LogLevel != "info" || c.RetentionDays != 365 || c.Secure() || c.ReportsPerAddress != 10 || c.ReportsPerHour != 200 {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = FromEnv([]string{"-addr", "0.0.0.0:9000", "-log-level", "debug"},
		env(map[string]string{"GEHOORD_ADDR": "127.0.0.1:1", "GEHOORD_PUBLIC_URL": "https://gehoord.example/", "GEHOORD_RETENTION_DAYS": "30"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.LogLevel != "debug" || c.PublicURL != "https://gehoord.example" || !c.Secure() || c.RetentionDays != 30 {
		t.Fatalf("overrides: %+v", c)
	}
	c, err = FromEnv([]string{"-reports-per-hour", "50"}, env(map[string]string{"GEHOORD_REPORTS_PER_ADDRESS": "3", "GEHOORD_REPORTS_PER_HOUR": "7"}))
	if err != nil || c.ReportsPerAddress != 3 || c.ReportsPerHour != 50 {
		t.Fatalf("report limits: %+v %v", c, err)
	}
	c, err = FromEnv(nil, env(map[string]string{"GEHOORD_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}))
	if err != nil || len(c.TrustedProxies) != 2 {
		t.Fatalf("proxies: %v %v", c.TrustedProxies, err)
	}
	for _, bad := range []map[string]string{
		{"GEHOORD_ADDR": "nohostport"}, {"GEHOORD_TRUSTED_PROXIES": "10.0.0.1, nonsense"}, {"GEHOORD_PUBLIC_URL": "ftp://x"}, {"GEHOORD_LOG_LEVEL": "loud"}, {"GEHOORD_RETENTION_DAYS": "x"},
		{"GEHOORD_REPORTS_PER_ADDRESS": "0"}, {"GEHOORD_REPORTS_PER_HOUR": "many"},
	} {
		if _, err := FromEnv(nil, env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// GEHOORD_PUSH_HOSTS (and -push-hosts) name the push services an endpoint
// may point at; unset keeps push's defaults. Only host names and *.domain
// patterns: no scheme, port, path or address.
func TestPushHosts(t *testing.T) {
	c, err := FromEnv(nil, env(nil))
	if err != nil || c.PushHosts != nil || c.PushAllowLoopback {
		t.Fatalf("default: %v %v %v", c.PushHosts, c.PushAllowLoopback, err)
	}
	c, err = FromEnv(nil, env(map[string]string{"GEHOORD_PUSH_HOSTS": "fcm.googleapis.com, *.push.apple.com ,Push.Example.org."}))
	if err != nil || strings.Join(c.PushHosts, " ") != "fcm.googleapis.com *.push.apple.com push.example.org" {
		t.Fatalf("from the environment: %q %v", c.PushHosts, err)
	}
	c, err = FromEnv([]string{"-push-hosts", "updates.push.services.mozilla.com"}, env(map[string]string{"GEHOORD_PUSH_HOSTS": "fcm.googleapis.com"}))
	if err != nil || strings.Join(c.PushHosts, " ") != "updates.push.services.mozilla.com" {
		t.Fatalf("flag over environment: %q %v", c.PushHosts, err)
	}
	for _, bad := range []string{
		"https://fcm.googleapis.com", "fcm.googleapis.com:443", "fcm.googleapis.com/fcm", "127.0.0.1", "[::1]", "::1",
		"*", "*.com", "*.*.example.org", "push.*.example.org", "a..b", "-a.example.org", "a_b.example.org", " , ",
	} {
		if c, err := FromEnv(nil, env(map[string]string{"GEHOORD_PUSH_HOSTS": bad})); err == nil {
			t.Errorf("GEHOORD_PUSH_HOSTS=%q accepted as %q", bad, c.PushHosts)
		}
	}
}

// TestDeviceIdleDays: tablets' tokens expire after 30 days without use by
// default; GEHOORD_DEVICE_IDLE_DAYS and -device-idle-days change it.
func TestDeviceIdleDays(t *testing.T) {
	c, err := FromEnv(nil, env(nil))
	if err != nil || c.DeviceIdle != 30*24*time.Hour {
		t.Fatalf("default: %v %v", c.DeviceIdle, err)
	}
	c, err = FromEnv(nil, env(map[string]string{"GEHOORD_DEVICE_IDLE_DAYS": "7"}))
	if err != nil || c.DeviceIdle != 7*24*time.Hour {
		t.Fatalf("env: %v %v", c.DeviceIdle, err)
	}
	c, err = FromEnv([]string{"-device-idle-days", "90"}, env(map[string]string{"GEHOORD_DEVICE_IDLE_DAYS": "7"}))
	if err != nil || c.DeviceIdle != 90*24*time.Hour {
		t.Fatalf("flag: %v %v", c.DeviceIdle, err)
	}
	for _, bad := range []string{"0", "-3", "x"} {
		if _, err := FromEnv(nil, env(map[string]string{"GEHOORD_DEVICE_IDLE_DAYS": bad})); err == nil {
			t.Errorf("GEHOORD_DEVICE_IDLE_DAYS=%s accepted", bad)
		}
	}
}

// TestReportThreshold: reports hide counts below 10 unless configured,
// and no desk can set the threshold below 5.
func TestReportThreshold(t *testing.T) {
	c, err := FromEnv(nil, env(nil))
	if err != nil || c.ReportThreshold != 10 || !c.PilotStart.IsZero() {
		t.Fatalf("default: %d %v %v", c.ReportThreshold, c.PilotStart, err)
	}
	c, err = FromEnv(nil, env(map[string]string{"GEHOORD_REPORT_THRESHOLD": "5", "GEHOORD_PILOT_START": "2026-02-01"}))
	if err != nil || c.ReportThreshold != 5 || c.PilotStart.Format(time.DateOnly) != "2026-02-01" {
		t.Fatalf("configured: %d %v %v", c.ReportThreshold, c.PilotStart, err)
	}
	for _, bad := range []map[string]string{{"GEHOORD_REPORT_THRESHOLD": "4"}, {"GEHOORD_REPORT_THRESHOLD": "0"}, {"GEHOORD_PILOT_START": "1 feb"}} {
		if _, err := FromEnv(nil, env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := FromEnv([]string{"-report-threshold", "3"}, env(nil)); err == nil {
		t.Error("a threshold of 3 accepted by flag")
	}
}

// TestAppSentKeepHours: how long a tablet keeps a sent item's list entry
// is configured (default 12 hours, 0: dropped at the next tidy-up), and
// never longer than a week: the list is for the round, not an archive.
func TestAppSentKeepHours(t *testing.T) {
	c, err := FromEnv(nil, env(nil))
	if err != nil || c.AppSentKeep != 12*time.Hour {
		t.Fatalf("default: %v %v", c.AppSentKeep, err)
	}
	c, err = FromEnv(nil, env(map[string]string{"GEHOORD_APP_SENT_KEEP_HOURS": "0"}))
	if err != nil || c.AppSentKeep != 0 {
		t.Fatalf("zero: %v %v", c.AppSentKeep, err)
	}
	c, err = FromEnv([]string{"-app-sent-keep-hours", "48"}, env(map[string]string{"GEHOORD_APP_SENT_KEEP_HOURS": "2"}))
	if err != nil || c.AppSentKeep != 48*time.Hour {
		t.Fatalf("flag: %v %v", c.AppSentKeep, err)
	}
	for _, bad := range []string{"-1", "169", "x"} {
		if _, err := FromEnv(nil, env(map[string]string{"GEHOORD_APP_SENT_KEEP_HOURS": bad})); err == nil {
			t.Errorf("GEHOORD_APP_SENT_KEEP_HOURS=%s accepted", bad)
		}
	}
}
