package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/customer"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

// `siyu import …` and `siyu export …` move data in and out of a tenant from files. Capabilities
// add their subcommands to importCommands / exportCommands from an init function (customers
// here; orders and tags add theirs).

var (
	importCommands []func() *cobra.Command
	exportCommands []func() *cobra.Command
)

func init() {
	extraCommands = append(extraCommands, newImportCmd, newExportCmd)
	importCommands = append(importCommands, newImportCustomersCmd)
	exportCommands = append(exportCommands, newExportCustomersCmd)
}

func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Import data into a tenant from CSV or XLSX files"}
	for _, sub := range importCommands {
		cmd.AddCommand(sub())
	}
	return cmd
}

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Export a tenant's data to CSV or XLSX files"}
	for _, sub := range exportCommands {
		cmd.AddCommand(sub())
	}
	return cmd
}

// ownerOf acts as the owner of a tenant for CLI commands; their records name the actor "cli".
func ownerOf(ctx context.Context, orgs *org.Service, slug string) (context.Context, error) {
	t, err := orgs.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, describe(err)
	}
	return org.WithCaller(ctx, org.Caller{TenantID: t.ID, TenantSlug: t.Slug, TenantName: t.Name, Role: org.Owner, Username: "cli"}), nil
}

func newImportCustomersCmd() *cobra.Command {
	cfg := config.Default()
	var tenant, mode string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "customers FILE --tenant SLUG",
		Short: "Import customers from a .csv or .xlsx file (row 1 is the header)",
		Long: `Import customers from a .csv (UTF-8 or GB18030) or .xlsx file whose first row names the columns,
in Chinese or English: 姓名/name, 手机号/phone (required), 性别/gender (男/女/未知), 生日/birthday,
标签/tags (existing tag names separated by , or ，), 备注/remark, and custom fields by label or key.
A row whose phone already belongs to a customer updates that customer; otherwise a customer is
created. Empty cells change nothing, so importing the same file twice changes nothing.

Every row is checked first. With --mode all-or-nothing (the default) one bad row means nothing is
written and the exit status is 2; with --mode skip-bad the good rows are written. Bad rows are
listed on stderr with their spreadsheet row numbers. --dry-run checks and counts without writing.`,
		Example: `  siyu import customers customers.xlsx --tenant acme --dry-run
  siyu import customers customers.csv --tenant acme --mode skip-bad`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m := map[string]string{"all-or-nothing": customer.ModeAllOrNothing, "skip-bad": customer.ModeSkipBad}[mode]
			if m == "" {
				return fmt.Errorf("--mode must be all-or-nothing or skip-bad, not %q", mode)
			}
			content, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			if len(content) > customer.MaxImportSize {
				return fmt.Errorf("%s is larger than %d MB", args[0], customer.MaxImportSize>>20)
			}
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			ctx, err := ownerOf(cmd.Context(), a.Org, tenant)
			if err != nil {
				return err
			}
			job, err := a.Customers.CreateImport(ctx, filepath.Base(args[0]), content)
			if err != nil {
				return describe(err)
			}
			errw := cmd.ErrOrStderr()
			for i, h := range job.Headers {
				target := job.Mapping[i]
				if target == "" {
					target = "(ignored)"
				}
				fmt.Fprintf(errw, "column %q → %s\n", h, target)
			}
			done, err := a.Customers.RunImport(ctx, job.ID, customer.ImportRun{Mapping: job.Mapping, Mode: m, DryRun: dryRun}, progressPrinter(errw))
			if err != nil {
				return describe(err)
			}
			return reportImport(cmd.OutOrStdout(), errw, args[0], done)
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant slug (required)")
	cmd.Flags().StringVar(&mode, "mode", "all-or-nothing", "all-or-nothing or skip-bad")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check every row and count what would change; write nothing")
	_ = cmd.MarkFlagRequired("tenant")
	dataFlags(cmd, &cfg)
	return cmd
}

// progressPrinter prints an import's progress as it advances.
func progressPrinter(w io.Writer) func(customer.ImportJob) {
	last := ""
	return func(j customer.ImportJob) {
		var line string
		switch j.Status {
		case customer.ImportValidating:
			line = fmt.Sprintf("checking: %d rows", j.Processed)
		case customer.ImportWriting, customer.ImportDone:
			if j.Status == customer.ImportDone && (j.DryRun || j.OK == 0) {
				return
			}
			line = fmt.Sprintf("writing: %d/%d rows (%d%%)", j.Processed, j.OK, j.Processed*100/max(j.OK, 1))
		default:
			return
		}
		if line != last {
			fmt.Fprintln(w, line)
			last = line
		}
	}
}

func reportImport(out, errw io.Writer, file string, j customer.ImportJob) error {
	for _, e := range j.Errors {
		fmt.Fprintln(errw, e.String())
	}
	if j.Failed > len(j.Errors) {
		fmt.Fprintf(errw, "… and %d more bad rows\n", j.Failed-len(j.Errors))
	}
	switch {
	case j.Status == customer.ImportRejected:
		fmt.Fprintf(out, "%s: %d rows, %d bad; nothing was imported (all-or-nothing)\n", file, j.Total, j.Failed)
		return exitCode(2)
	case j.Status != customer.ImportDone:
		return fmt.Errorf("%s: import %s: %s", file, j.Status, j.Message)
	case j.DryRun:
		fmt.Fprintf(out, "%s (dry run): %d rows, %d good, %d bad; would create %d customers and update up to %d\n",
			file, j.Total, j.OK, j.Failed, j.Created, j.Updated)
	default:
		fmt.Fprintf(out, "%s: %d rows, %d imported (%d created, %d updated, %d unchanged), %d bad\n",
			file, j.Total, j.OK, j.Created, j.Updated, j.Unchanged, j.Failed)
	}
	return nil
}

func newExportCustomersCmd() *cobra.Command {
	cfg := config.Default()
	var tenant, output, lang, status string
	cmd := &cobra.Command{
		Use:   "customers --tenant SLUG --output FILE",
		Short: "Export a tenant's customers to a .csv or .xlsx file (the format follows the extension)",
		Long: `Export every customer of a tenant (or those of --status) with phones, tags, profile and custom
fields to FILE; .csv or .xlsx by its extension. The CLI acts as the tenant's owner, and the export
is recorded in the audit log as "cli". The file imports back with siyu import customers.`,
		Example: `  siyu export customers --tenant acme --output customers.xlsx
  siyu export customers --tenant acme --output lost.csv --status lost --lang en`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format := customer.FormatOf(output)
			if format == "" {
				return fmt.Errorf("--output must end in .csv or .xlsx (got %q)", output)
			}
			l := map[string]httpx.Lang{"zh-CN": httpx.ZhCN, "en": httpx.En}[lang]
			if l == "" {
				return fmt.Errorf("--lang must be zh-CN or en")
			}
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			ctx, err := ownerOf(cmd.Context(), a.Org, tenant)
			if err != nil {
				return err
			}
			tmp, err := os.CreateTemp(filepath.Dir(output), ".siyu-export-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			n, err := a.Customers.Export(ctx, customer.ExportRequest{Filter: customer.Filter{Status: status}, Format: format, Lang: l, Via: "cli"}, tmp)
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return describe(err)
			}
			if err := os.Rename(tmp.Name(), output); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %d customers to %s\n", n, output)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant slug (required)")
	cmd.Flags().StringVar(&output, "output", "", "file to write, .csv or .xlsx (required)")
	cmd.Flags().StringVar(&lang, "lang", "zh-CN", "column headers: zh-CN or en")
	cmd.Flags().StringVar(&status, "status", "", "only active (still connected to someone) or lost customers")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("output")
	dataFlags(cmd, &cfg)
	return cmd
}
