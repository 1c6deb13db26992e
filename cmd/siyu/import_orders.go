package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/order"
)

func init() { importCommands = append(importCommands, newImportOrdersCmd) }

func newImportOrdersCmd() *cobra.Command {
	cfg := config.Default()
	var tenant, layout, source string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "orders FILE --tenant SLUG",
		Short: "Import orders from a Taobao/Tmall seller export or a generic .csv/.xlsx file",
		Long: `Import orders from a .csv (UTF-8, or GBK as the Taobao seller center exports it) or .xlsx file.

--layout taobao (default) reads the seller center's order report (已卖出的宝贝 → 批量导出):
订单编号, 买家会员名, 总金额/买家应付货款, 买家实际支付金额, 订单状态, 订单创建时间, 订单付款时间,
联系手机/收货人手机, 宝贝标题, 宝贝总数量, 退款金额. Unpaid orders (等待买家付款, or closed before
payment) are skipped; 交易关闭 after payment is a full refund. --source tmall marks a Tmall export.

--layout generic reads: order_id, source, phone, nick, paid_at, amount (yuan), refund, store
(org unit name or id), items ("NAME*QTY@PRICE;…", optionally "SKU|NAME…"), and optionally
ordered_at, total, discount, campaign. Times are China time unless they carry a zone.

Every row is checked first: one bad row means nothing is written, each bad row is listed on
stderr with its row number (the header is row 1) and column, and the exit status is 2. Orders are
keyed by source and order number, so importing the same file again changes nothing. Orders bind to
customers through the buyer's phone or platform nick; the others wait for the identity to appear.`,
		Example: `  siyu import orders ExportOrderList.csv --tenant acme --dry-run
  siyu import orders pos.xlsx --tenant acme --layout generic`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			t, err := a.Org.TenantBySlug(cmd.Context(), tenant)
			if err != nil {
				return describe(err)
			}
			rep, err := a.Orders.ImportFile(cmd.Context(), t.ID, data, order.ImportOptions{Layout: layout, Source: source, DryRun: dryRun})
			if len(rep.Errors) > 0 {
				errw := cmd.ErrOrStderr()
				for _, e := range rep.Errors {
					fmt.Fprintf(errw, "row %d, %s: %s\n", e.Row, e.Column, httpx.Text(httpx.En, "field."+e.Code))
				}
				fmt.Fprintf(errw, "%d bad rows; nothing was imported\n", len(rep.Errors))
				return exitCode(2)
			}
			var he *httpx.Error
			if errors.As(err, &he) {
				return describe(err)
			}
			if err != nil {
				return err
			}
			verb := "imported"
			if rep.DryRun {
				verb = "checked (dry run, nothing written)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %d rows: %d created, %d updated, %d unchanged, %d unpaid skipped\n",
				verb, rep.Rows, rep.Created, rep.Updated, rep.Unchanged, rep.Skipped)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant slug (required)")
	cmd.Flags().StringVar(&layout, "layout", order.LayoutTaobao, "taobao or generic")
	cmd.Flags().StringVar(&source, "source", order.SourceTaobao, "taobao or tmall (taobao layout)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check and count without writing")
	_ = cmd.MarkFlagRequired("tenant")
	dataFlags(cmd, &cfg)
	return cmd
}
