package config

import (
	"testing"
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
