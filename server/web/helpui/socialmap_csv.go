package helpui

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/web/view"
)

// MaxImportBytes bounds an uploaded CSV file.
const MaxImportBytes = 2 << 20

type importPage struct {
	Done     bool
	Result   socialmap.ImportResult
	Problems []importProblem
	Columns  []string
}

type importProblem struct {
	socialmap.ImportProblem
	Text string
}

func (h *Handler) mapImportForm(c *fiber.Ctx) error {
	return h.View.Render(c, fiber.StatusOK, "staff/socialmap_import",
		&view.Data{Lang: staffLang(c), Page: importPage{Columns: socialmap.Columns}})
}

func (h *Handler) mapImport(c *fiber.Ctx) error {
	lang := staffLang(c)
	p := importPage{Columns: socialmap.Columns}
	fail := func(key string) error {
		return h.View.Render(c, fiber.StatusUnprocessableEntity, "staff/socialmap_import",
			&view.Data{Lang: lang, Page: p, Errors: map[string]string{"file": h.Catalog.T(lang, key,
				"value", fmt.Sprint(MaxImportBytes>>20))}})
	}
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		return fail("socialmap.import.no_file")
	}
	if fh.Size > MaxImportBytes {
		return fail("socialmap.import.too_large")
	}
	f, err := fh.Open()
	if err != nil {
		return fail("socialmap.import.no_file")
	}
	defer f.Close()
	res, err := h.Map.Import(c.UserContext(), io.LimitReader(f, MaxImportBytes))
	if err != nil {
		return err
	}
	p.Done, p.Result = true, res
	for _, pr := range res.Problems {
		p.Problems = append(p.Problems, importProblem{ImportProblem: pr, Text: h.Catalog.T(lang, pr.Msg, "value", pr.Value)})
	}
	status := fiber.StatusOK
	if len(res.Problems) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return h.View.Render(c, status, "staff/socialmap_import", &view.Data{Lang: lang, Page: p})
}

func sendCSV(c *fiber.Ctx, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}

// mapExport sends the whole map, retired entries included. It starts with
// a byte-order mark so spreadsheet programs read the accents right; the
// import skips it.
func (h *Handler) mapExport(c *fiber.Ctx) error {
	var buf bytes.Buffer
	buf.WriteString("\xef\xbb\xbf")
	if err := h.Map.Export(c.UserContext(), &buf); err != nil {
		return err
	}
	return sendCSV(c, "socialmap-"+time.Now().Format("2006-01-02")+".csv", buf.Bytes())
}

func (h *Handler) mapSample(c *fiber.Ctx) error {
	return sendCSV(c, "socialmap-sample.csv", socialmap.SampleCSV())
}
