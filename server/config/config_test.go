package config

import (
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
		c.LogLevel != "info" || c.RetentionDays != 365 || c.Secure() {
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
	c, err = FromEnv(nil, env(map[string]string{"GEHOORD_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}))
	if err != nil || len(c.TrustedProxies) != 2 {
		t.Fatalf("proxies: %v %v", c.TrustedProxies, err)
	}
	for _, bad := range []map[string]string{
		{"GEHOORD_ADDR": "nohostport"}, {"GEHOORD_TRUSTED_PROXIES": "10.0.0.1, nonsense"}, {"GEHOORD_PUBLIC_URL": "ftp://x"}, {"GEHOORD_LOG_LEVEL": "loud"}, {"GEHOORD_RETENTION_DAYS": "x"},
	} {
		if _, err := FromEnv(nil, env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
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
