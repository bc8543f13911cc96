// Package socialmap is the desk's national social map: the organisations a
// worker can be referred to, by topic, place and language, and the table of
// Dutch municipalities and the 25 safety regions (veiligheidsregio's) that
// places them. It never imports fiber; the pages live in server/web/helpui.
package socialmap

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// National is the region value of an organisation that works everywhere.
const National = "national"

// Municipality is one Dutch municipality and its safety region.
type Municipality struct {
	Code   string // CBS code, e.g. GM0363
	Name   string // the official CBS spelling, e.g. "'s-Gravenhage"
	Region string // one of Regions()
}

//go:embed regions.csv
var regionsCSV []byte

// regions is the fixed list of the 25 safety regions, in the order of their
// numbers VR01..VR25 (the annex of the Wet veiligheidsregio's).
var regions = []string{
	"Groningen", "Fryslân", "Drenthe", "IJsselland", "Twente",
	"Noord- en Oost-Gelderland", "Gelderland-Midden", "Gelderland-Zuid", "Utrecht",
	"Noord-Holland-Noord", "Zaanstreek-Waterland", "Kennemerland", "Amsterdam-Amstelland",
	"Gooi en Vechtstreek", "Haaglanden", "Hollands Midden", "Rotterdam-Rijnmond",
	"Zuid-Holland-Zuid", "Zeeland", "Midden- en West-Brabant", "Brabant-Noord",
	"Brabant-Zuidoost", "Limburg-Noord", "Zuid-Limburg", "Flevoland",
}

// aliases are other names people type for a municipality: everyday names,
// Dutch names of Frisian municipalities, names without the CBS province
// suffix, and former municipalities merged since 2019. Keys are folded.
var aliases = map[string]string{
	"den haag":            "'s-Gravenhage",
	"the hague":           "'s-Gravenhage",
	"s gravenhage":        "'s-Gravenhage",
	"den bosch":           "'s-Hertogenbosch",
	"s hertogenbosch":     "'s-Hertogenbosch",
	"hertogenbosch":       "'s-Hertogenbosch",
	"beek":                "Beek (L.)",
	"hengelo":             "Hengelo (O.)",
	"laren":               "Laren (NH.)",
	"middelburg":          "Middelburg (Z.)",
	"rijswijk":            "Rijswijk (ZH.)",
	"stein":               "Stein (L.)",
	"bergen op zoom":      "Bergen op Zoom",
	"nuenen":              "Nuenen, Gerwen en Nederwetten",
	"de friese meren":     "De Fryske Marren",
	"zuidwest friesland":  "Súdwest-Fryslân",
	"noordoost friesland": "Noardeast-Fryslân",
	"tietjerksteradeel":   "Tytsjerksteradiel",
	"dantumadeel":         "Dantumadiel",
	// Merged municipalities (the old names are still what people say).
	"weesp":                          "Amsterdam",
	"brielle":                        "Voorne aan Zee",
	"hellevoetsluis":                 "Voorne aan Zee",
	"westvoorne":                     "Voorne aan Zee",
	"heerhugowaard":                  "Dijk en Waard",
	"langedijk":                      "Dijk en Waard",
	"uden":                           "Maashorst",
	"landerd":                        "Maashorst",
	"boxmeer":                        "Land van Cuijk",
	"cuijk":                          "Land van Cuijk",
	"grave":                          "Land van Cuijk",
	"mill en sint hubert":            "Land van Cuijk",
	"sint anthonis":                  "Land van Cuijk",
	"beemster":                       "Purmerend",
	"appingedam":                     "Eemsdelta",
	"delfzijl":                       "Eemsdelta",
	"loppersum":                      "Eemsdelta",
	"haren":                          "Groningen",
	"ten boer":                       "Groningen",
	"haarlemmerliede en spaarnwoude": "Haarlemmermeer",
	"geldermalsen":                   "West Betuwe",
	"lingewaal":                      "West Betuwe",
	"neerijnen":                      "West Betuwe",
	"leerdam":                        "Vijfheerenlanden",
	"zederik":                        "Vijfheerenlanden",
	"vianen":                         "Vijfheerenlanden",
	"giessenlanden":                  "Molenlanden",
	"molenwaard":                     "Molenlanden",
	"binnenmaas":                     "Hoeksche Waard",
	"cromstrijen":                    "Hoeksche Waard",
	"korendijk":                      "Hoeksche Waard",
	"oud beijerland":                 "Hoeksche Waard",
	"strijen":                        "Hoeksche Waard",
	"aalburg":                        "Altena",
	"werkendam":                      "Altena",
	"woudrichem":                     "Altena",
	"onderbanken":                    "Beekdaelen",
	"nuth":                           "Beekdaelen",
	"schinnen":                       "Beekdaelen",
	"noordwijkerhout":                "Noordwijk",
	"sittard":                        "Sittard-Geleen",
	"geleen":                         "Sittard-Geleen",
	"leidschendam":                   "Leidschendam-Voorburg",
	"voorburg":                       "Leidschendam-Voorburg",
}

var (
	municipalities []Municipality
	byName         map[string]Municipality // folded name or alias -> municipality
	byRegion       map[string]string       // folded region name -> region
)

func init() {
	ms, err := parseRegions(bytes.NewReader(regionsCSV))
	if err != nil {
		// The file is embedded and covered by tests: a broken file is a
		// build mistake, not a run-time condition.
		panic(err)
	}
	municipalities = ms
	byName = make(map[string]Municipality, len(ms)+len(aliases))
	for _, m := range ms {
		byName[Fold(m.Name)] = m
		byName[Fold(m.Code)] = m
	}
	for alias, name := range aliases {
		m, ok := byName[Fold(name)]
		if !ok {
			panic("socialmap: alias " + alias + " points to unknown municipality " + name)
		}
		if _, taken := byName[alias]; !taken {
			byName[alias] = m
		}
	}
	byRegion = make(map[string]string, len(regions)+4)
	for _, r := range regions {
		byRegion[Fold(r)] = r
	}
	byRegion[Fold("Friesland")] = "Fryslân"
	byRegion[Fold("Noord en Oost Gelderland")] = "Noord- en Oost-Gelderland"
	byRegion[Fold("Midden en West Brabant")] = "Midden- en West-Brabant"
	byRegion[Fold("Gooi- en Vechtstreek")] = "Gooi en Vechtstreek"
}

func parseRegions(r io.Reader) ([]Municipality, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 3
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("socialmap: regions.csv: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "code,municipality,region" {
		return nil, fmt.Errorf("socialmap: regions.csv: missing header code,municipality,region")
	}
	known := make(map[string]bool, len(regions))
	for _, r := range regions {
		known[r] = true
	}
	out := make([]Municipality, 0, len(rows)-1)
	for i, row := range rows[1:] {
		m := Municipality{Code: row[0], Name: row[1], Region: row[2]}
		if !known[m.Region] {
			return nil, fmt.Errorf("socialmap: regions.csv row %d: unknown region %q", i+2, m.Region)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return sortKey(out[i].Name) < sortKey(out[j].Name) })
	return out, nil
}

// sortKey orders municipalities as people look for them: "'s-Gravenhage"
// under G, "De Bilt" under B would surprise; we keep articles but skip the
// leading "'s-".
func sortKey(name string) string {
	return strings.TrimPrefix(Fold(name), "s ")
}

// Regions returns the 25 safety regions in their official order.
func Regions() []string { return append([]string(nil), regions...) }

// Municipalities returns every municipality, sorted by name.
func Municipalities() []Municipality { return append([]Municipality(nil), municipalities...) }

// LookupMunicipality finds a municipality by its name, a common other
// spelling ("Den Haag", "Den Bosch", "Hengelo"), a former municipality merged
// into it, or its CBS code. Case, accents and punctuation do not matter.
func LookupMunicipality(name string) (Municipality, bool) {
	m, ok := byName[Fold(name)]
	return m, ok
}

// RegionOf returns the safety region of a municipality (see
// LookupMunicipality for the spellings it accepts).
func RegionOf(municipality string) (string, bool) {
	m, ok := LookupMunicipality(municipality)
	if !ok {
		return "", false
	}
	return m.Region, true
}

// CanonicalRegion returns the official name of a safety region typed in any
// case, with or without accents or hyphens ("fryslan", "Friesland").
func CanonicalRegion(name string) (string, bool) {
	r, ok := byRegion[Fold(name)]
	return r, ok
}

// Fold makes a name comparable: lower case, accents removed, every run of
// punctuation or spaces one space, and the suffixes in parentheses kept as
// words ("Bergen (NH.)" -> "bergen nh").
func Fold(s string) string {
	var b strings.Builder
	space := true // drop leading separators
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}
