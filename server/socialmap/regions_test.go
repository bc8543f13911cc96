package socialmap

import (
	"testing"
)

func TestRegionsFile(t *testing.T) {
	ms := Municipalities()
	if len(ms) != 342 {
		t.Fatalf("municipalities: got %d, want 342 (1 January 2025)", len(ms))
	}
	if got := len(Regions()); got != 25 {
		t.Fatalf("regions: got %d, want 25", got)
	}
	names, codes := map[string]bool{}, map[string]bool{}
	per := map[string]int{}
	for _, m := range ms {
		if names[Fold(m.Name)] {
			t.Errorf("duplicate municipality %q", m.Name)
		}
		if codes[m.Code] {
			t.Errorf("duplicate code %q", m.Code)
		}
		if len(m.Code) != 6 || m.Code[:2] != "GM" {
			t.Errorf("bad code %q for %s", m.Code, m.Name)
		}
		names[Fold(m.Name)], codes[m.Code] = true, true
		per[m.Region]++
	}
	for _, r := range Regions() {
		if per[r] == 0 {
			t.Errorf("region %s has no municipality", r)
		}
	}
	if len(per) != 25 {
		t.Errorf("municipalities name %d regions, want 25", len(per))
	}
}

func TestRegionOfBigCities(t *testing.T) {
	want := map[string]string{
		"Amsterdam": "Amsterdam-Amstelland", "Rotterdam": "Rotterdam-Rijnmond",
		"'s-Gravenhage": "Haaglanden", "Utrecht": "Utrecht", "Eindhoven": "Brabant-Zuidoost",
		"Groningen": "Groningen", "Arnhem": "Gelderland-Midden", "Nijmegen": "Gelderland-Zuid",
		"Zwolle": "IJsselland", "Enschede": "Twente", "Heerlen": "Zuid-Limburg",
		"Almere": "Flevoland", "Haarlem": "Kennemerland", "Alkmaar": "Noord-Holland-Noord",
		"Zaanstad": "Zaanstreek-Waterland", "Hilversum": "Gooi en Vechtstreek",
		"Leiden": "Hollands Midden", "Dordrecht": "Zuid-Holland-Zuid",
		"Breda": "Midden- en West-Brabant", "'s-Hertogenbosch": "Brabant-Noord",
		"Venlo": "Limburg-Noord", "Middelburg": "Zeeland", "Leeuwarden": "Fryslân",
		"Assen": "Drenthe", "Apeldoorn": "Noord- en Oost-Gelderland",
		// Other spellings, merged municipalities, codes.
		"Den Haag": "Haaglanden", "den bosch": "Brabant-Noord", "DEN HAAG": "Haaglanden",
		"Weesp": "Amsterdam-Amstelland", "Hellevoetsluis": "Rotterdam-Rijnmond",
		"Voorne aan Zee": "Rotterdam-Rijnmond", "Land van Cuijk": "Brabant-Noord",
		"Maashorst": "Brabant-Noord", "Dijk en Waard": "Noord-Holland-Noord",
		"Sudwest-Fryslan": "Fryslân", "súdwest fryslân": "Fryslân", "GM0363": "Amsterdam-Amstelland",
		"Bergen (NH.)": "Noord-Holland-Noord", "Bergen (L.)": "Limburg-Noord", "Hengelo": "Twente",
		"Nuenen": "Brabant-Zuidoost", "  utrecht ": "Utrecht",
	}
	for in, region := range want {
		got, ok := RegionOf(in)
		if !ok || got != region {
			t.Errorf("RegionOf(%q) = %q, %v; want %q", in, got, ok, region)
		}
	}
	for _, in := range []string{"", "Atlantis", "Bergen", "Brielle aan Zee"} {
		if r, ok := RegionOf(in); ok {
			t.Errorf("RegionOf(%q) = %q, want not found", in, r)
		}
	}
}

func TestCanonicalRegion(t *testing.T) {
	for in, want := range map[string]string{
		"fryslan": "Fryslân", "Friesland": "Fryslân", "midden en west brabant": "Midden- en West-Brabant",
		"IJSSELLAND": "IJsselland", "Gooi en Vechtstreek": "Gooi en Vechtstreek",
	} {
		if got, ok := CanonicalRegion(in); !ok || got != want {
			t.Errorf("CanonicalRegion(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestTopicForCategory(t *testing.T) {
	for cat, want := range map[string]string{
		"government.tax": "money", "landlord.rent": "housing", "operator.pay": "work",
		"operator.coercion": "safety", "care": "health", "police": "legal", "other": "",
	} {
		if got := TopicForCategory(cat); got != want {
			t.Errorf("TopicForCategory(%q) = %q, want %q", cat, got, want)
		}
		if want != "" && !IsTopic(want) {
			t.Errorf("%q is not a topic", want)
		}
	}
}
