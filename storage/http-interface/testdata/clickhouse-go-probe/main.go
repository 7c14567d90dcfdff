// Queries a ClickHouse HTTP endpoint with clickhouse-go — the driver behind Grafana's
// ClickHouse data source, configured as that data source configures it for protocol
// http — and prints each result as JSON, so the HTTP interface's tests can check that
// the driver decodes what the interface sends (Native format, client_protocol_version).
//
// Usage: probe <host:port> <query>...
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"
)

type result struct {
	Columns []string `json:"columns"`
	Types   []string `json:"types"`
	Count   int      `json:"count"`
	Rows    [][]any  `json:"rows,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Rows beyond this are counted, not printed.
const maxPrintedRows = 1000

func main() {
	db := clickhouse.OpenDB(&clickhouse.Options{
		Addr:        []string{os.Args[1]},
		Protocol:    clickhouse.HTTP,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionGZIP},
		Settings:    clickhouse.Settings{"max_execution_time": 60},
		DialTimeout: 10 * time.Second,
	})
	defer db.Close()
	if err := db.Ping(); err != nil {
		fmt.Fprintln(os.Stderr, "ping:", err)
		os.Exit(1)
	}
	results := []result{}
	for _, query := range os.Args[2:] {
		results = append(results, run(db, query))
	}
	out, err := json.Marshal(results)
	if err != nil {
		fmt.Fprintln(os.Stderr, "json:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

func run(db *sql.DB, query string) result {
	rows, err := db.Query(query)
	if err != nil {
		return result{Error: err.Error()}
	}
	defer rows.Close()
	columns, _ := rows.Columns()
	types, _ := rows.ColumnTypes()
	res := result{Columns: columns}
	for _, t := range types {
		res.Types = append(res.Types, t.DatabaseTypeName())
	}
	for rows.Next() {
		values := make([]any, len(types))
		for i, t := range types {
			values[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(values...); err != nil {
			res.Error = err.Error()
			return res
		}
		res.Count++
		if res.Count <= maxPrintedRows {
			row := make([]any, len(values))
			for i, v := range values {
				row[i] = plain(reflect.ValueOf(v).Elem())
			}
			res.Rows = append(res.Rows, row)
		}
	}
	if err := rows.Err(); err != nil {
		res.Error = err.Error()
	}
	return res
}

// plain turns a scanned value into JSON the test compares with the engine's own output:
// times as Unix nanoseconds, 64-bit integers and decimals as strings.
func plain(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return strconv.FormatInt(x.UnixNano(), 10)
	case decimal.Decimal:
		return x.String()
	case uint64:
		return strconv.FormatUint(x, 10)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return plain(v.Elem())
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, key := range v.MapKeys() {
			out[fmt.Sprint(key.Interface())] = plain(v.MapIndex(key))
		}
		return out
	}
	return v.Interface()
}
