package config_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const dashboardFile = "grafana/dockwatch.json"

// dashboard is the part of Grafana's dashboard JSON model the tests read.
type dashboard struct {
	Title      string `json:"title"`
	UID        string `json:"uid"`
	Schema     int    `json:"schemaVersion"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource *datasourceRef  `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID          int            `json:"id"`
		Type        string         `json:"type"`
		Title       string         `json:"title"`
		Description string         `json:"description"`
		Datasource  *datasourceRef `json:"datasource"`
		GridPos     *struct {
			H, W, X, Y int
		} `json:"gridPos"`
		Targets []struct {
			RefID      string         `json:"refId"`
			Expr       string         `json:"expr"`
			Datasource *datasourceRef `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	return d
}

// Importable as is: Grafana asks for a Prometheus data source through the
// datasource variable, and every panel and query uses that variable (no
// data source UID from someone else's Grafana).
func TestDashboardIsImportableWithADatasourceVariable(t *testing.T) {
	d := readDashboard(t)
	if d.Title == "" || d.UID == "" || d.Schema == 0 {
		t.Errorf("title %q, uid %q, schemaVersion %d: all are needed for import", d.Title, d.UID, d.Schema)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type == "datasource" && string(v.Query) != `"prometheus"` {
			t.Errorf("variable %s selects %s data sources, want prometheus", v.Name, v.Query)
		}
		if v.Type == "query" && !usesVariable(v.Datasource) {
			t.Errorf("variable %s does not query through ${datasource}", v.Name)
		}
	}
	for name, typ := range map[string]string{"datasource": "datasource", "namespace": "query", "host": "query"} {
		if vars[name] != typ {
			t.Errorf("variable %s is %q, want type %s", name, vars[name], typ)
		}
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W == 0 {
			t.Errorf("panel %q has no gridPos", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if !usesVariable(p.Datasource) || p.Description == "" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %+v, %d targets, description %q; want ${datasource}, a query and a description",
				p.Title, p.Datasource, len(p.Targets), p.Description)
		}
		for _, target := range p.Targets {
			if target.Expr == "" || target.RefID == "" || !usesVariable(target.Datasource) {
				t.Errorf("panel %q has a target without expr, refId or the ${datasource} variable", p.Title)
			}
		}
	}
}

// The README describes every panel, by its title.
func TestReadmeDescribesEveryPanel(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, p := range readDashboard(t).Panels {
		if p.Type != "row" && !strings.Contains(readme, "**"+p.Title+"**") {
			t.Errorf("README does not describe panel %q (as **%s**)", p.Title, p.Title)
		}
	}
}

func usesVariable(ref *datasourceRef) bool {
	return ref != nil && ref.Type == "prometheus" && ref.UID == "${datasource}"
}
