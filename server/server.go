// Package server builds the desk's HTTP application: middleware, error
// pages, assets, and the route groups of every audience. `server.New` is the
// one constructor, used by the command and by the tests.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/gehoord/gehoord/assets"
	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/cards"
	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/metrics"
	"github.com/gehoord/gehoord/server/outreach"
	"github.com/gehoord/gehoord/server/push"
	"github.com/gehoord/gehoord/server/ratelimit"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/staff"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/web/api"
	"github.com/gehoord/gehoord/server/web/appui"
	"github.com/gehoord/gehoord/server/web/auth"
	"github.com/gehoord/gehoord/server/web/cardsui"
	"github.com/gehoord/gehoord/server/web/helpui"
	"github.com/gehoord/gehoord/server/web/lang"
	"github.com/gehoord/gehoord/server/web/problem"
	"github.com/gehoord/gehoord/server/web/public"
	"github.com/gehoord/gehoord/server/web/pushui"
	"github.com/gehoord/gehoord/server/web/staffui"
	"github.com/gehoord/gehoord/server/web/view"
)

// Deps is everything the application is built from.
type Deps struct {
	Config  config.Config
	Log     *slog.Logger
	Store   *store.Store
	Sealer  *seal.Sealer
	Catalog *i18n.Catalog
	Assets  *view.Assets
	View    *view.Renderer
	Cases   *cases.Service
	// StatusMisses limits wrong receipts per client on the status page/API.
	StatusMisses *ratelimit.Limiter
	// ReportsPerClient and ReportsPerHour limit new reports through the
	// public form and API, per client and for the whole desk.
	ReportsPerClient, ReportsPerHour *ratelimit.Limiter
	// PublicWork and SignInWork bound the anonymous POSTs that read and
	// write the database (the public forms and API; staff sign-in and
	// tablet enrolment) running at once, so a flood cannot take every
	// database connection or unbounded memory: the rest wait a moment,
	// then get 503 with Retry-After.
	PublicWork, SignInWork *gate.Gate
	// PublicViews are the public pages shown once and the forms' tokens.
	PublicViews *public.Views
	// Outreach: registered tablets, and rounds with their card counts.
	Devices *outreach.Devices
	Rounds  *outreach.Rounds
	// Cards: QR-card batches, scans and hand-out counts.
	Cards *cards.Service
	// Push: staff notifications (keys, subscriptions, delivery queue).
	Push *push.Service
	// Staff: users and sessions, and the audit log.
	Staff *staff.Service
	Audit *audit.Log
	// SocialMap lists organisations that help, by region, topic and language.
	SocialMap *socialmap.Service
	// Background jobs started by Start and stopped by Stop.
	jobs []Job
	// proxies may set X-Forwarded-For (config.TrustedProxies, parsed).
	proxies []*net.IPNet
}

// Job is a background worker (push sender, retention, sweeps).
type Job interface {
	Start(ctx context.Context)
	Stop()
}

// Build opens the database and makes every dependency from the config.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger) (*Deps, error) {
	ring, err := seal.LoadRing(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	sealer, err := seal.NewRing(ring)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, DBName: cfg.DBName, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return nil, err
	}
	d, err := build(ctx, cfg, log, st, sealer)
	if err != nil {
		_ = st.Close(context.Background())
		return nil, err
	}
	return d, nil
}

// build makes every service in dependency order, each from its
// constructor with everything it needs: a service comes after what it uses,
// so none is looked up or set after it was made. The adapters between one
// room's domain and another's, and the function that mounts each room's
// routes, are in wire_<room>.go.
func build(ctx context.Context, cfg config.Config, log *slog.Logger, st *store.Store, sealer *seal.Sealer) (*Deps, error) {
	cat := i18n.Default()
	as, err := view.NewAssets(assets.FS, "/assets/")
	if err != nil {
		return nil, err
	}
	proxies, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	d := &Deps{Config: cfg, Log: log, Store: st, Sealer: sealer, Catalog: cat, Assets: as, proxies: proxies}

	// Staff users and sessions, and the audit log: every other room names
	// its people by them.
	d.Audit = audit.New(st)
	d.Staff = staff.New(staff.Config{Store: st, Sealer: sealer, Audit: d.Audit, Logger: log, LimitNow: d.limitNow})
	idx := append(append(audit.Indexes(), staff.Indexes()...), cases.ThemeIndexes()...)
	idx = append(idx, cases.ReferralIndexes()...)
	if err := st.EnsureIndexes(ctx, idx...); err != nil {
		return nil, err
	}

	// What other rooms read of the cases (the agenda, cases per batch):
	// only package cases reads its collections.
	caseQueries := cases.NewQueries(st)

	// Cards: a report that carries a card code records the card's batch.
	if err := st.EnsureIndexes(ctx, cards.Indexes()...); err != nil {
		return nil, err
	}
	d.Cards = cards.NewService(cards.Config{Store: st, Cases: caseQueries, Languages: cases.PublicLanguages, Logger: log})

	// Push: recipients come from the staff service. Indexes and the VAPID
	// keys now, so the first request finds them.
	d.Push, err = push.New(push.Config{
		Store: st, Sealer: sealer, Logger: log,
		Contact: cfg.PushContact, PublicURL: cfg.PublicURL,
		Directory: staffDirectory{d.Staff}, Agenda: caseQueries,
		Hosts: cfg.PushHosts, AllowLoopback: cfg.PushAllowLoopback,
	})
	if err != nil {
		return nil, err
	}
	if err := d.Push.Init(ctx); err != nil {
		return nil, err
	}

	// Cases: new cases and replies notify through push.
	d.Cases = cases.NewService(cases.Config{Store: st, Sealer: sealer, Texts: cat, Cards: d.Cards, Notify: d.Push, Logger: log})
	if err := d.Cases.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	if err := d.Cases.SealThemes(ctx); err != nil {
		return nil, err
	}
	if n, err := d.Cases.MarkAcknowledged(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("recorded the acknowledgement of earlier cases as sent at intake", "cases", n)
	}
	if n, err := d.Cases.CodeMunicipalities(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("coded the free-text municipality of earlier cases", "cases", n)
	}
	if n, err := d.Cases.KeepSteps(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("kept the step times of earlier cases for reports", "cases", n)
	}

	// Outreach: tablets sign in as staff; rounds add card counts to batches.
	if err := st.EnsureIndexes(ctx, outreach.Indexes()...); err != nil {
		return nil, err
	}
	d.Devices = outreach.NewDevices(outreach.DevicesConfig{
		Store: st, Auth: staffAuthenticator(d.Staff), Idle: cfg.DeviceIdle, UserDisabled: staffDisabled(d.Staff),
	})
	d.Rounds = outreach.NewRounds(st, sealer, cardCounter{d.Cards})
	if n, err := d.Rounds.CodeMunicipalities(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		log.Info("coded the free-text municipality of earlier rounds and card counts", "documents", n)
	}
	// Signing out everywhere, being disabled or reset withdraws her
	// tablets (their next sync asks for a new sign-in) and removes her
	// push devices. These subscribe here, not in staff.New: both rooms
	// are built from the staff service.
	d.Staff.OnSignedOutEverywhere(d.Devices.RevokeUser)
	d.Staff.OnSignedOutEverywhere(d.Push.RemoveUser)

	// The social map.
	d.SocialMap = socialmap.NewService(st)
	if err := d.SocialMap.EnsureIndexes(ctx); err != nil {
		return nil, err
	}

	// Public pages: rate limits, the pages shown once, and the gates.
	d.StatusMisses = ratelimit.New(st, sealer, "status-miss", 10, 15*time.Minute, d.limitNow)
	d.ReportsPerClient = ratelimit.New(st, sealer, "reports-client", cfg.ReportsPerAddress, time.Hour, d.limitNow)
	d.ReportsPerHour = ratelimit.New(st, sealer, "reports-all", cfg.ReportsPerHour, time.Hour, d.limitNow)
	// Anonymous posts in flight: each costs a receipt hash (a core for
	// ~20 ms) and a few writes the database does one after another, so
	// more at once only adds latency. Beyond the slots a queue waits: twice
	// the slots, about half a second of status look-ups (one hash a core,
	// ~25 ms) and a second or two of reports, so a few dozen people at once
	// are served rather than told "busy"; the rest is answered 503 with
	// Retry-After at once, so a flood gets quick answers and the work
	// taken on finishes in seconds.
	work := min(8*runtime.NumCPU(), 32)
	d.PublicWork = gate.NewQueued(work, 2*work, 3*time.Second)
	d.SignInWork = gate.New(min(4*runtime.NumCPU(), 16), 3*time.Second)
	d.PublicViews = public.NewViews(st, sealer)
	if err := st.EnsureIndexes(ctx, append(public.ViewIndexes(), ratelimit.Index())...); err != nil {
		return nil, err
	}

	// The pages of every audience.
	d.View, err = view.New(cat, as, cases.PublicLanguages,
		public.Templates(), staffui.Templates(), appui.Templates(), pushui.Templates(), cardsui.Templates(), helpui.Templates())
	if err != nil {
		return nil, err
	}
	// A crash between a case and its first events (acknowledgement,
	// staff notification) leaves it incomplete: completed here, before
	// serving, and by the sweep below while running.
	if n, err := d.Cases.RepairFirstEvents(ctx); err != nil {
		log.Warn("completing cases without their first events failed; the sweep tries again", "completed", n, "err", err)
	} else if n > 0 {
		log.Info("completed cases that lacked their first events", "cases", n)
	}

	// Background jobs, started by Start in this order and stopped in reverse.
	d.jobs = []Job{
		// Earlier cases get their receipt documents, after which status
		// look-ups read by _id only; until then (and should it fail, until
		// the next start resumes it) they take the pass over every case.
		// In the background: it reads every case, seconds at 10,000.
		&periodic{name: "receipt documents", atStart: true, log: log, run: func(ctx context.Context) error {
			n, err := d.Cases.BackfillReceipts(ctx)
			if n > 0 {
				log.Info("gave earlier cases their receipt documents", "cases", n)
			}
			return err
		}},
		newRetention(d),
		&periodic{name: "staff sessions", every: 10 * time.Minute, run: d.Staff.SweepSessions, log: log},
		pushJob{p: d.Push, log: log},
		&periodic{name: "rate limits", every: 5 * time.Minute, log: log,
			run: func(ctx context.Context) error { return ratelimit.Sweep(ctx, st, d.limitNow()) }},
		&periodic{name: "write claims", every: 30 * time.Minute, log: log, run: st.SweepClaims},
		&periodic{name: "public views", every: 5 * time.Minute, log: log, run: d.PublicViews.Sweep},
		// The copy of the cases the staff pages read (cases/index.go): read
		// once soon after start and kept up with, so no one waits for it.
		&periodic{name: "case copy", every: time.Minute, log: log, run: d.Cases.CatchUp},
		&periodic{name: "first events", every: 5 * time.Minute, log: log, run: func(ctx context.Context) error {
			_, err := d.Cases.RepairFirstEvents(ctx)
			return err
		}},
	}
	return d, nil
}

// limitNow is the rate limits' clock (the configured one in tests).
func (d *Deps) limitNow() time.Time {
	if d.Config.RateLimitClock != nil {
		return d.Config.RateLimitClock()
	}
	return time.Now()
}

// Start runs the background jobs.
func (d *Deps) Start(ctx context.Context) {
	for _, j := range d.jobs {
		j.Start(ctx)
	}
}

// Stop stops the background jobs and waits for them.
func (d *Deps) Stop() {
	for i := len(d.jobs) - 1; i >= 0; i-- {
		d.jobs[i].Stop()
	}
}

// Close stops jobs and closes the database.
func (d *Deps) Close(ctx context.Context) error {
	d.Stop()
	return d.Store.Close(ctx)
}

// ClientKey is what rate limits count by: the client address, used only as
// input to a keyed hash and never stored or logged. Behind a trusted
// reverse proxy it is the last X-Forwarded-For entry — the one that proxy
// added; entries before it are whatever the client chose to send.
func (d *Deps) ClientKey(c *fiber.Ctx) string {
	remote := c.Context().RemoteIP()
	if !d.trustedProxy(remote) {
		return clientKey(remote)
	}
	xff := c.Get(fiber.HeaderXForwardedFor)
	if i := strings.LastIndexByte(xff, ','); i >= 0 {
		xff = xff[i+1:]
	}
	if ip := net.ParseIP(strings.TrimSpace(xff)); ip != nil {
		return clientKey(ip)
	}
	return clientKey(remote)
}

// clientKey is an IPv4 address, or an IPv6 address's /64: providers give
// one home or phone a whole /64, so its addresses are one client.
func clientKey(ip net.IP) string {
	if ip.To4() != nil {
		return ip.To4().String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// TakeReport counts a new report from the client of c against the limit
// per client and the desk's hourly ceiling.
func (d *Deps) TakeReport(c *fiber.Ctx) (*ratelimit.Attempt, error) {
	return ratelimit.TakeAll(c.UserContext(),
		ratelimit.Keyed{Limiter: d.ReportsPerClient, Key: d.ClientKey(c)},
		ratelimit.Keyed{Limiter: d.ReportsPerHour, Key: "all"})
}

func (d *Deps) trustedProxy(ip net.IP) bool {
	for _, n := range d.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// parseProxies reads the trusted proxies (IPs or CIDRs) once, at start.
func parseProxies(list []string) ([]*net.IPNet, error) {
	out := make([]*net.IPNet, 0, len(list))
	for _, p := range list {
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
			continue
		}
		ip := net.ParseIP(p)
		if ip == nil {
			return nil, fmt.Errorf("server: trusted proxy %q is not an IP or CIDR", p)
		}
		bits := 8 * net.IPv6len
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 8*net.IPv4len
		}
		out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return out, nil
}

// New builds the application.
func New(d *Deps) (*fiber.App, error) {
	app := fiber.New(fiber.Config{
		AppName:               "gehoord",
		DisableStartupMessage: true,
		// The largest limit of any route; each route's own (BodyLimit) is
		// applied when the header is read, before the body is.
		BodyLimit:      SyncBodyLimit,
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   60 * time.Second,
		IdleTimeout:    120 * time.Second,
		ErrorHandler:   errorHandler(d),
		ReadBufferSize: 16 << 10,
		// Fiber otherwise hands out strings that point into request memory
		// it reuses for the next request; a value kept past its handler
		// (a cache, a closure) would silently change. Handlers still copy
		// what they keep, so this is the second line of defence.
		Immutable: true,
	})
	app.Use(metrics.Requests())
	limitBodies(app)
	app.Use(recover.New())
	app.Use(securityHeaders(d.Config.Secure()))
	app.Use(requestLog(d.Log))
	app.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed}))
	app.Use(watchClient)
	app.Use(admit(d))

	// Live: the process serves requests (restart it when not). Ready: the
	// database answers and can write (send no traffic here when not: a
	// full disk or a read-only file answers pings but takes no report).
	// /healthz is the readiness check.
	app.Get("/healthz/live", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"status": "ok"})
	})
	ready := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		if err := d.Store.Ping(c.UserContext()); err != nil {
			d.Log.Error("healthz: database does not answer", "err", err)
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(public.StoreRetryAfter))
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "does not answer"})
		}
		if err := d.Store.CheckWrite(c.UserContext()); err != nil {
			d.Log.Error("healthz: database cannot write", "err", err)
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(public.StoreRetryAfter))
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "cannot write"})
		}
		return c.JSON(fiber.Map{"status": "ok"})
	}
	app.Get("/healthz", ready)
	app.Get("/healthz/ready", ready)
	app.Get("/assets/*", serveAsset(d.Assets))

	// Staff sign-in for every audience: the session loader (which
	// auth.Require reads) and the audit of refused requests, before any
	// audience's routes, so their order does not matter.
	(&auth.Sessions{Staff: d.Staff, Audit: d.Audit, Log: d.Log, Secure: d.Config.Secure()}).Install(app)

	// The routes of every audience.
	(&api.Handler{Cases: d.Cases, Catalog: d.Catalog, StatusMisses: d.StatusMisses, ClientKey: d.ClientKey,
		TakeReport: d.TakeReport, Log: d.Log}).Routes(app)
	mountStaff(app, d)
	if err := mountOutreach(app, d); err != nil {
		return nil, err
	}
	if err := mountPush(app, d); err != nil {
		return nil, err
	}
	mountCards(app, d)
	mountHelp(app, d)
	(&public.Handler{Cases: d.Cases, View: d.View, Catalog: d.Catalog, StatusMisses: d.StatusMisses, Work: d.PublicWork,
		ClientKey: d.ClientKey, TakeReport: d.TakeReport, Heard: staffHeard(d), Views: d.PublicViews, Log: d.Log,
		RetentionDays: d.Config.RetentionDays, ContentRetentionDays: d.Config.ContentRetentionDays}).Routes(app)

	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app, nil
}

// watchClient lets the gates see whether a post's client has gone: work
// that waited for a slot (a receipt hash, under load) is dropped when its
// client gave up meanwhile, instead of making a case nobody is told of.
func watchClient(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodPost {
		if gone := clientGone(c.Context().Conn()); gone != nil {
			c.SetUserContext(gate.WithGone(c.UserContext(), gone))
		}
	}
	return c.Next()
}

// admit runs the anonymous API and sign-in POSTs through their gates (the
// public pages do it themselves, to give her form back when busy).
func admit(d *Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodPost {
			return c.Next()
		}
		var g *gate.Gate
		switch p := c.Path(); {
		case p == "/api/v1/reports", p == "/api/v1/status", p == "/api/v1/status/messages":
			g = d.PublicWork
		case strings.HasPrefix(p, "/staff/signin"), p == "/api/v1/outreach/devices":
			g = d.SignInWork
		default:
			return c.Next()
		}
		release, err := g.Acquire(c.UserContext())
		if err != nil {
			return err
		}
		defer release()
		return c.Next()
	}
}

func serveAsset(as *view.Assets) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, ok := as.ByHashed(c.Params("*"))
		if !ok {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentType, a.Type)
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		return c.Send(a.Body)
	}
}

// CSP allows nothing from elsewhere and no inline script or style.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(secure bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set("Content-Security-Policy", CSP)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), "+
			"accelerometer=(), gyroscope=(), magnetometer=(), midi=(), display-capture=(), browsing-topics=()")
		if secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return c.Next()
	}
}

// requestLog logs the route pattern, never the path (it can hold a card
// code), the client address, the user agent or anything she typed.
func requestLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if !log.Enabled(c.UserContext(), slog.LevelDebug) {
			return err
		}
		status := c.Response().StatusCode()
		if err != nil {
			_, status = problem.Classify(err) // the status the one mapping will answer
		}
		log.LogAttrs(c.UserContext(), slog.LevelDebug, "request",
			slog.String("method", c.Method()), slog.String("route", lang.Route(c)),
			slog.Int("status", status), slog.Duration("took", time.Since(start)))
		return err
	}
}

func langOf(c *fiber.Ctx) string {
	if l, ok := c.Locals("lang").(string); ok {
		return l
	}
	// An error before any language was set (a body too large, a full
	// gate) is answered in the language of the address.
	if l, ok := lang.InPath(c.Path()); ok {
		return l
	}
	return lang.Default
}

// errorHandler is the one place where a returned error becomes a
// response (web/problem), told how this server knows languages and staff.
func errorHandler(d *Deps) fiber.ErrorHandler {
	h := &problem.Handler{
		Catalog:  d.Catalog,
		View:     d.View,
		Log:      d.Log,
		PageLang: langOf,
		APILang: func(c *fiber.Ctx) string {
			return i18n.Match(c.Get(fiber.HeaderAcceptLanguage), cases.PublicLanguages)
		},
		Staff: func(c *fiber.Ctx) (string, bool) {
			if !strings.HasPrefix(c.Path(), "/staff") || auth.CurrentUser(c) == nil {
				return "", false
			}
			if l, ok := c.Locals("lang").(string); ok && slices.Contains(staff.Languages, l) {
				return l, true
			}
			return "nl", true
		},
		StaffLanguages: staff.Languages,
	}
	return h.Handle
}

// jobRuns counts the periodic sweeps by job name and result.
var jobRuns = metrics.NewCounter("gehoord_job_runs_total", "Background job runs, by job and result.", "job", "result")

// periodic runs a job in the background: once right after start when
// atStart is set, and every interval (if any) until stopped. FerretDB v1
// has no TTL indexes, so expired documents (rate-limit hits, sessions) are
// deleted by such sweeps.
type periodic struct {
	name    string
	every   time.Duration // 0: no repeat
	atStart bool
	run     func(context.Context) error
	log     *slog.Logger
	cancel  context.CancelFunc
	done    chan struct{}
}

func (p *periodic) Start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		if p.atStart {
			p.once(ctx)
		}
		if p.every <= 0 {
			return
		}
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.once(ctx)
			}
		}
	}()
}

// once runs the job and counts the run (a run cut off by the stop is not
// a failure).
func (p *periodic) once(ctx context.Context) {
	if err := p.run(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("background job failed", "job", p.name, "err", err)
		jobRuns.With(p.name, "error").Inc()
	} else if err == nil {
		jobRuns.With(p.name, "ok").Inc()
	}
}

func (p *periodic) Stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}
