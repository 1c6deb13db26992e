package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/siyu-scrm/siyu/internal/config"
	"github.com/siyu-scrm/siyu/internal/httpx"
	"github.com/siyu-scrm/siyu/internal/org"
)

func newTenantCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Manage tenants (brands)"}
	cmd.AddCommand(newTenantCreateCmd(), newTenantSetWeComCmd())
	return cmd
}

func newTenantCreateCmd() *cobra.Command {
	cfg := config.Default()
	var name string
	cmd := &cobra.Command{
		Use:   "create SLUG --name NAME",
		Short: "Create a tenant with its root org unit",
		Example: `  siyu tenant create acme --name "艾克美"
  siyu tenant create acme --name "艾克美" --db postgres://siyu@db/siyu`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			t, err := a.Org.CreateTenant(cmd.Context(), args[0], name)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created tenant %s (id %d, %s)\n", t.Slug, t.ID, t.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name of the brand (required)")
	_ = cmd.MarkFlagRequired("name")
	dataFlags(cmd, &cfg)
	return cmd
}

func newTenantSetWeComCmd() *cobra.Command {
	cfg := config.Default()
	var in org.WeComSettingsInput
	cmd := &cobra.Command{
		Use:   "set-wecom SLUG",
		Short: "Set a tenant's WeCom corp id, secrets, callback token and EncodingAESKey (stored encrypted)",
		Long: `Set a tenant's WeCom settings. Secrets are sealed with the server's secret key before they are
stored. A secret flag left out keeps the stored value.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Org.SetWeComSettingsForTenant(cmd.Context(), args[0], in); err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "WeCom settings of %s saved\n", args[0])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.CorpID, "corp-id", "", "WeCom corp id (ww…)")
	f.StringVar(&in.AgentID, "agent-id", "", "self-built app agent id")
	f.StringVar(&in.ContactSecret, "secret", "", "customer-contact (客户联系) secret")
	f.StringVar(&in.AppSecret, "app-secret", "", "self-built app secret")
	f.StringVar(&in.CallbackToken, "token", "", "callback Token")
	f.StringVar(&in.EncodingAESKey, "aes-key", "", "callback EncodingAESKey (43 characters)")
	f.StringVar(&in.APIBaseURL, "api-base-url", "", "WeCom API root ending in / (default the real server; e.g. http://localhost:8081/cgi-bin/ for siyu wecom-sim)")
	f.StringVar(&in.WelcomeText, "welcome-text", "", "default welcome message for new customers ({name} = the customer's name)")
	_ = cmd.MarkFlagRequired("corp-id")
	dataFlags(cmd, &cfg)
	return cmd
}

func newUserCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage console users"}
	cmd.AddCommand(newUserCreateCmd())
	return cmd
}

func newUserCreateCmd() *cobra.Command {
	cfg := config.Default()
	var in org.UserInput
	var tenant, role string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create --tenant SLUG --username NAME [--password-stdin] [--role owner]",
		Short: "Create a console user",
		Long: `Create a console user. The password comes from --password-stdin (one line) or the
SIYU_PASSWORD environment variable, so it does not land in shell history.
Roles: owner, admin, manager (needs --org-unit), guide (needs --staff), analyst, service.`,
		Example: `  echo 'a-long-password' | siyu user create --tenant acme --username boss --role owner --password-stdin`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.Role = org.Role(role)
			in.Password = os.Getenv("SIYU_PASSWORD")
			if passwordStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("read password from stdin: %w", err)
				}
				in.Password = strings.TrimRight(line, "\r\n")
			}
			a, err := openApp(cmd, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Org.CreateUserInTenant(cmd.Context(), tenant, in)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s (id %d, role %s) in tenant %s\n", u.Username, u.ID, u.Role, tenant)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&tenant, "tenant", "", "tenant slug (required)")
	f.StringVar(&in.Username, "username", "", "login name (required)")
	f.StringVar(&in.DisplayName, "display-name", "", "name shown in the console")
	f.StringVar(&role, "role", string(org.Owner), "owner, admin, manager, guide, analyst or service")
	f.Int64Var(&in.OrgUnitID, "org-unit", 0, "org unit id (managers)")
	f.Int64Var(&in.StaffID, "staff", 0, "staff id (guides)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("username")
	dataFlags(cmd, &cfg)
	return cmd
}

// describe turns an application error into a CLI message that names the bad fields.
func describe(err error) error {
	var e *httpx.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	var parts []string
	for field, f := range e.Fields {
		parts = append(parts, fmt.Sprintf("%s: %s", field, httpx.Text(httpx.En, "field."+f.Code)))
	}
	return fmt.Errorf("invalid input: %s", strings.Join(parts, "; "))
}
