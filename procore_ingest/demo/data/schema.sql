-- Generated from the Prisma schema of procore_int_v2 (45 models) in the style of Prisma Migrate.
-- Tables, primary keys, unique and plain indexes. Foreign keys are in foreign_keys.sql.

-- Prisma Migrate's bookkeeping table (not part of schema.prisma).
CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_credentials" (
    "id" SERIAL NOT NULL,
    "credential_type" TEXT NOT NULL DEFAULT 'procore_oauth',
    "access_token" TEXT NOT NULL,
    "refresh_token" TEXT,
    "token_type" TEXT NOT NULL DEFAULT 'Bearer',
    "expires_at" TIMESTAMP(3) NOT NULL,
    "company_id" INTEGER,
    "scope" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "api_credentials_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_records" (
    "id" TEXT NOT NULL,
    "application_id" TEXT NOT NULL,
    "timestamp" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "procore_entity_type" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_parameters" JSONB NOT NULL,
    "response_status" TEXT NOT NULL,
    "response_data" JSONB,
    "errors" JSONB,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "audit_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "budget_line_items" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "budget_view_id" BIGINT NOT NULL,
    "biller_type" TEXT,
    "biller_id" BIGINT,
    "cost_code_id" BIGINT,
    "cost_code_name" TEXT,
    "root_cost_code_id" BIGINT,
    "root_cost_code_name" TEXT,
    "category_id" BIGINT,
    "description" TEXT,
    "original_budget_amount" DECIMAL(15,2),
    "approved_budget_changes" DECIMAL(15,2),
    "approved_change_orders" DECIMAL(15,2),
    "revised_budget" DECIMAL(15,2),
    "pending_change_orders" DECIMAL(15,2),
    "projected_budget" DECIMAL(15,2),
    "committed_costs" DECIMAL(15,2),
    "direct_costs" DECIMAL(15,2),
    "job_to_date_costs" DECIMAL(15,2),
    "pending_cost_changes" DECIMAL(15,2),
    "projected_costs" DECIMAL(15,2),
    "forecast_to_complete" DECIMAL(15,2),
    "is_forecast_manual" BOOLEAN NOT NULL DEFAULT false,
    "manual_forecast_amount" DECIMAL(15,2),
    "automatic_forecast_amount" DECIMAL(15,2),
    "forecast_calculation_strategy" TEXT,
    "forecast_notes" TEXT,
    "budget_forecast_id" BIGINT,
    "estimated_cost_at_completion" DECIMAL(15,2),
    "budgeted" BOOLEAN NOT NULL DEFAULT true,
    "origin_id" BIGINT,
    "origin_data" TEXT,
    "additional_columns" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "budget_line_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "budget_views" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "view_type" TEXT NOT NULL,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "budget_views_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "change_orders" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "number" TEXT,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" TEXT NOT NULL,
    "cost_impact" DECIMAL(15,2),
    "schedule_impact" INTEGER,
    "package_type" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "custom_fields" JSONB,
    "attachment_s3_keys" JSONB,

    CONSTRAINT "change_orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "change_events" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "number" INTEGER,
    "alphanumeric_number" TEXT,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" TEXT NOT NULL,
    "event_type" TEXT,
    "event_scope" TEXT,
    "change_reason" TEXT,
    "change_event_status_id" BIGINT,
    "change_event_status_name" TEXT,
    "created_by_id" BIGINT,
    "created_by_name" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "change_event_line_items" JSONB,
    "rfqs" JSONB,
    "custom_fields" JSONB,
    "attachment_s3_keys" JSONB,

    CONSTRAINT "change_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commitment_contract_items" (
    "id" BIGINT NOT NULL,
    "commitment_contract_id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "vendor_id" BIGINT NOT NULL,
    "wbs_code_id" BIGINT,
    "prime_line_item_id" BIGINT,
    "amount" DECIMAL(15,2) NOT NULL,
    "description" TEXT,
    "quantity" DECIMAL(15,4),
    "unit_cost" DECIMAL(15,4),
    "uom" TEXT,
    "tax_code_id" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commitment_contract_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commitment_contracts" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "vendor_id" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" TEXT NOT NULL,
    "executed" BOOLEAN NOT NULL DEFAULT false,
    "signature_required" BOOLEAN NOT NULL DEFAULT false,
    "private" BOOLEAN NOT NULL DEFAULT true,
    "show_line_items_to_non_admins" BOOLEAN NOT NULL DEFAULT false,
    "accessor_ids" JSONB,
    "billing_schedule_of_values_status" TEXT,
    "enable_ssov" BOOLEAN NOT NULL DEFAULT false,
    "show_cost_code_on_pdf" BOOLEAN NOT NULL DEFAULT false,
    "inclusions" TEXT,
    "exclusions" TEXT,
    "retainage_percent" DECIMAL(5,2),
    "accounting_method" TEXT,
    "payment_terms" TEXT,
    "currency_exchange_rate" DECIMAL(10,4),
    "currency_iso_code" TEXT,
    "allow_payment_applications" BOOLEAN NOT NULL DEFAULT true,
    "allow_payments" BOOLEAN NOT NULL DEFAULT true,
    "allow_comments" BOOLEAN NOT NULL DEFAULT true,
    "allow_markups" BOOLEAN NOT NULL DEFAULT true,
    "display_materials_retainage" BOOLEAN NOT NULL DEFAULT false,
    "display_work_retainage" BOOLEAN NOT NULL DEFAULT false,
    "change_order_level_of_detail" TEXT,
    "ssr_enabled" BOOLEAN NOT NULL DEFAULT false,
    "bill_to_address" TEXT,
    "ship_to_address" TEXT,
    "ship_via" TEXT,
    "actual_completion_date" DATE,
    "approval_letter_date" DATE,
    "contract_date" DATE,
    "contract_estimated_completion_date" DATE,
    "contract_start_date" DATE,
    "delivery_date" DATE,
    "execution_date" DATE,
    "issued_on_date" DATE,
    "letter_of_intent_date" DATE,
    "returned_date" DATE,
    "signed_contract_received_date" DATE,
    "assignee_id" BIGINT,
    "bill_recipient_ids" JSONB,
    "attachments_s3_keys" JSONB,
    "attachment_ids" JSONB,
    "drawing_revision_ids" JSONB,
    "file_version_ids" JSONB,
    "form_ids" JSONB,
    "image_ids" JSONB,
    "origin_id" TEXT,
    "origin_code" TEXT,
    "origin_data" TEXT,
    "custom_fields" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commitment_contracts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commitment_change_orders" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "contract_id" BIGINT NOT NULL,
    "number" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" TEXT NOT NULL,
    "grand_total" DECIMAL(15,2) NOT NULL,
    "executed" BOOLEAN NOT NULL DEFAULT false,
    "paid" BOOLEAN NOT NULL DEFAULT false,
    "private" BOOLEAN NOT NULL DEFAULT true,
    "signature_required" BOOLEAN NOT NULL DEFAULT false,
    "field_change" BOOLEAN NOT NULL DEFAULT false,
    "revision" INTEGER,
    "reference" TEXT,
    "type" TEXT,
    "batch_id" BIGINT,
    "legacy_package_id" BIGINT,
    "legacy_request_id" BIGINT,
    "location_id" BIGINT,
    "schedule_impact_amount" DECIMAL(15,2),
    "change_order_change_reason" TEXT,
    "due_date" DATE,
    "invoiced_date" DATE,
    "paid_date" DATE,
    "signed_change_order_received_date" DATE,
    "reviewed_at" TIMESTAMP(3),
    "created_by_id" BIGINT,
    "created_by_name" TEXT,
    "designated_reviewer_id" BIGINT,
    "received_from_id" BIGINT,
    "reviewed_by_id" BIGINT,
    "currency_configuration" JSONB,
    "custom_fields" JSONB,
    "attachments" JSONB,
    "attachments_s3_keys" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commitment_change_orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commitment_change_order_items" (
    "id" BIGINT NOT NULL,
    "commitment_change_order_id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "prime_line_item_id" BIGINT,
    "commitment_line_item_id" BIGINT,
    "wbs_code_id" BIGINT,
    "tax_code_id" BIGINT,
    "description" TEXT,
    "uom" TEXT,
    "quantity" DECIMAL(15,4),
    "unit_cost" DECIMAL(15,4),
    "amount" DECIMAL(15,2) NOT NULL,
    "extended_type" TEXT,
    "position" INTEGER,
    "wbs_code" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commitment_change_order_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "company_users" (
    "id" BIGINT NOT NULL,
    "company_id" BIGINT NOT NULL,
    "login" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "first_name" TEXT,
    "last_name" TEXT,
    "job_title" TEXT,
    "email_address" TEXT NOT NULL,
    "business_phone" TEXT,
    "mobile_phone" TEXT,
    "employee_id" TEXT,
    "is_employee" BOOLEAN NOT NULL DEFAULT false,
    "vendor_id" BIGINT,
    "trade_name" TEXT,
    "notes" TEXT,
    "avatar_url" TEXT,
    "permission_template_id" BIGINT,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "company_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "daily_logs" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "log_type" TEXT NOT NULL,
    "log_date" DATE NOT NULL,
    "description" TEXT,
    "location_id" INTEGER,
    "multi_tier_location" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "log_data" JSONB NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "daily_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "documents" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "folder_id" INTEGER,
    "name" TEXT NOT NULL,
    "url" TEXT,
    "size" INTEGER,
    "file_type" TEXT,
    "is_folder" BOOLEAN NOT NULL DEFAULT false,
    "parent_id" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "documents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "drawing_areas" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "drawing_areas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "drawing_revisions" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "drawing_id" BIGINT NOT NULL,
    "drawing_area_id" BIGINT NOT NULL,
    "drawing_set_id" BIGINT,
    "revision_number" TEXT,
    "current" BOOLEAN NOT NULL DEFAULT false,
    "s3_key" TEXT,
    "filename" TEXT,
    "file_size" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "drawing_revisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "drawing_sets" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "set_date" DATE,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "drawing_sets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "drawings" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "drawing_area_id" BIGINT NOT NULL,
    "drawing_number" TEXT NOT NULL,
    "title" TEXT,
    "discipline" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "drawings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "integration_request_events" (
    "id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "application_id" TEXT NOT NULL,
    "timestamp" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "procore_entity_type" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_parameters" JSONB NOT NULL,

    CONSTRAINT "integration_request_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "integration_response_events" (
    "id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "timestamp" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "success" BOOLEAN NOT NULL,
    "data_payload" JSONB,
    "error_details" JSONB,

    CONSTRAINT "integration_response_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_submissions" (
    "id" TEXT NOT NULL,
    "external_invoice_id" TEXT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "commitment_id" BIGINT NOT NULL,
    "invoice_number" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "billing_amount" DECIMAL(15,2),
    "procore_requisition_id" BIGINT,
    "request_payload" JSONB NOT NULL,
    "response_payload" JSONB,
    "error_message" TEXT,
    "retry_count" INTEGER NOT NULL DEFAULT 0,
    "submitted_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "invoice_submissions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "photos" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "url" TEXT NOT NULL,
    "thumbnail_url" TEXT,
    "s3_key" TEXT,
    "image_category_id" BIGINT NOT NULL,
    "description" TEXT,
    "location" TEXT,
    "taken_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "photos_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prime_contract_change_orders" (
    "id" BIGINT NOT NULL,
    "prime_contract_id" BIGINT NOT NULL,
    "batch_id" BIGINT,
    "number" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" TEXT NOT NULL,
    "executed" BOOLEAN NOT NULL DEFAULT false,
    "grand_total" DECIMAL(15,2) NOT NULL,
    "schedule_impact_amount" DECIMAL(15,2),
    "change_reason_id" BIGINT,
    "change_reason_text" TEXT,
    "type" TEXT,
    "revision" INTEGER,
    "reference" TEXT,
    "field_change" BOOLEAN NOT NULL DEFAULT false,
    "paid" BOOLEAN NOT NULL DEFAULT false,
    "private" BOOLEAN NOT NULL DEFAULT false,
    "signature_required" BOOLEAN NOT NULL DEFAULT false,
    "created_by_id" BIGINT,
    "created_by_name" TEXT,
    "reviewed_by_id" BIGINT,
    "designated_reviewer_id" BIGINT,
    "received_from_id" BIGINT,
    "location_id" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "reviewed_at" TIMESTAMP(3),
    "due_date" DATE,
    "invoiced_date" DATE,
    "paid_date" DATE,
    "signed_change_order_received_date" DATE,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "legacy_package_id" BIGINT,
    "legacy_request_id" BIGINT,
    "origin_id" TEXT,
    "origin_code" TEXT,
    "custom_fields" JSONB,
    "currency_configuration" JSONB,

    CONSTRAINT "prime_contract_change_orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prime_contract_line_items" (
    "id" BIGINT NOT NULL,
    "prime_contract_id" BIGINT NOT NULL,
    "position" INTEGER,
    "description" TEXT,
    "cost_code_id" BIGINT,
    "line_item_type_id" BIGINT,
    "line_item_group_id" BIGINT,
    "tax_code_id" BIGINT,
    "amount" DECIMAL(15,2) NOT NULL,
    "quantity" DECIMAL(15,4),
    "unit_cost" DECIMAL(15,2),
    "tax_amount" DECIMAL(15,2),
    "wbs_code_id" BIGINT,
    "extended_type" TEXT,
    "extended_data" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "origin_id" TEXT,
    "origin_code" TEXT,
    "origin_data" TEXT,

    CONSTRAINT "prime_contract_line_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prime_contracts" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "number" TEXT,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status" TEXT NOT NULL,
    "executed" BOOLEAN NOT NULL DEFAULT false,
    "private" BOOLEAN NOT NULL DEFAULT false,
    "grand_total" DECIMAL(15,2) NOT NULL,
    "revised_contract_amount" DECIMAL(15,2) NOT NULL,
    "approved_change_orders" DECIMAL(15,2) NOT NULL,
    "pending_change_orders_amount" DECIMAL(15,2) NOT NULL,
    "draft_change_orders_amount" DECIMAL(15,2) NOT NULL,
    "pending_revised_contract_amount" DECIMAL(15,2) NOT NULL,
    "owner_invoices_amount" DECIMAL(15,2) NOT NULL,
    "total_payments" DECIMAL(15,2) NOT NULL,
    "outstanding_balance" DECIMAL(15,2) NOT NULL,
    "percentage_paid" DECIMAL(15,10) NOT NULL,
    "retainage_percent" DECIMAL(5,2),
    "contract_date" DATE,
    "issued_on_date" DATE,
    "execution_date" DATE,
    "signed_contract_received_date" DATE,
    "letter_of_intent_date" DATE,
    "approval_letter_date" DATE,
    "returned_date" DATE,
    "contract_start_date" DATE,
    "contract_estimated_completion_date" DATE,
    "original_substantial_completion_date" DATE,
    "substantial_completion_date" DATE,
    "actual_completion_date" DATE,
    "contract_termination_date" DATE,
    "accounting_method" TEXT,
    "contractor_id" BIGINT,
    "vendor_id" BIGINT,
    "architect_id" BIGINT,
    "inclusions" TEXT,
    "exclusions" TEXT,
    "show_line_items_to_non_admins" BOOLEAN NOT NULL DEFAULT false,
    "has_change_order_packages" BOOLEAN NOT NULL DEFAULT false,
    "has_potential_change_orders" BOOLEAN NOT NULL DEFAULT false,
    "attachments" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "deleted_at" TIMESTAMP(3),
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by_id" BIGINT,
    "custom_fields" JSONB,
    "origin_id" TEXT,
    "origin_code" TEXT,
    "origin_data" TEXT,
    "currency_iso_code" TEXT,

    CONSTRAINT "prime_contracts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "owner_invoices" (
    "id" BIGINT NOT NULL,
    "prime_contract_id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "number" INTEGER NOT NULL,
    "invoice_number" TEXT,
    "status" TEXT NOT NULL,
    "billing_date" DATE,
    "period_start" DATE,
    "period_end" DATE,
    "period_id" BIGINT,
    "percent_complete" DECIMAL(10,2),
    "total_amount_paid" DECIMAL(15,2) NOT NULL,
    "total_amount_accrued_this_period" DECIMAL(15,2),
    "current_payment_due" DECIMAL(15,2) NOT NULL,
    "total_earned_less_retainage" DECIMAL(15,2),
    "balance_to_finish_including_retainage" DECIMAL(15,2),
    "original_contract_sum" DECIMAL(15,2),
    "contract_sum_to_date" DECIMAL(15,2),
    "net_change_by_change_orders" DECIMAL(15,2),
    "total_completed_and_stored_to_date" DECIMAL(15,2),
    "total_retainage" DECIMAL(15,2),
    "less_previous_certificates_for_payment" DECIMAL(15,2),
    "origin_id" TEXT,
    "origin_data" TEXT,
    "formatted_contract_company" TEXT,
    "currency_configuration" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "owner_invoices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_webhook_events" (
    "id" TEXT NOT NULL,
    "ulid" TEXT NOT NULL,
    "event_id" BIGINT NOT NULL,
    "resource_name" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "resource_id" BIGINT NOT NULL,
    "processed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "processed_webhook_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "project_users" (
    "id" TEXT NOT NULL,
    "user_id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "company_id" BIGINT NOT NULL,
    "permission_template_id" BIGINT,
    "permission_template_name" TEXT,
    "is_employee" BOOLEAN NOT NULL DEFAULT false,
    "vendor_id" BIGINT,
    "employee_id" TEXT,
    "role_ids" JSONB,
    "cost_code_id" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "project_roles" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "user_id" BIGINT NOT NULL,
    "contact_id" BIGINT NOT NULL,
    "role_name" TEXT NOT NULL,
    "user_name" TEXT NOT NULL,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "project_roles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "projects" (
    "id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "display_name" TEXT,
    "project_number" TEXT,
    "address" TEXT,
    "city" TEXT,
    "state_code" TEXT,
    "country_code" TEXT,
    "zip" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "estimated_start_date" DATE,
    "estimated_completion_date" DATE,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "requisitions" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "commitment_id" BIGINT,
    "commitment_type" TEXT NOT NULL,
    "invoice_number" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "billing_date" DATE,
    "payment_date" DATE,
    "requisition_start" DATE,
    "requisition_end" DATE,
    "status" TEXT NOT NULL,
    "percent_complete" TEXT,
    "submitted_at" TIMESTAMP(3),
    "comment" TEXT,
    "final" BOOLEAN NOT NULL DEFAULT false,
    "vendor_name" TEXT,
    "created_by" JSONB,
    "summary" JSONB NOT NULL,
    "attachments" JSONB,
    "attachments_s3_keys" JSONB,
    "origin_id" TEXT,
    "origin_data" TEXT,
    "period_id" BIGINT,
    "custom_fields" JSONB,
    "currency_configuration" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "requisitions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rfis" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "number" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "question" TEXT,
    "status" TEXT NOT NULL,
    "assignee_id" BIGINT,
    "responsible_contractor_id" BIGINT,
    "due_date" DATE,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "custom_fields" JSONB,
    "official_response_attachment_s3_keys" JSONB,
    "official_responses" JSONB,

    CONSTRAINT "rfis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "specification_section_divisions" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "number" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "url" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "specification_section_divisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "specification_section_revisions" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "specification_section_id" BIGINT NOT NULL,
    "specification_section_division_id" BIGINT NOT NULL,
    "specification_set_id" BIGINT,
    "number" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "revision" TEXT,
    "issued_date" TIMESTAMP(3),
    "received_date" TIMESTAMP(3),
    "s3_key" TEXT,
    "filename" TEXT,
    "file_size" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "custom_fields" JSONB,

    CONSTRAINT "specification_section_revisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "specification_sections" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "specification_section_division_id" BIGINT,
    "number" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "current_revision_id" BIGINT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "specification_sections_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "submittal_attachments" (
    "id" BIGINT NOT NULL,
    "submittal_id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "approver_id" BIGINT,
    "filename" TEXT NOT NULL,
    "s3_key" TEXT,
    "file_size" INTEGER,
    "content_type" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "submittal_attachments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "submittals" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "number" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "status_id" BIGINT NOT NULL,
    "received_from_id" BIGINT,
    "spec_section" TEXT,
    "due_date" DATE,
    "revision_number" INTEGER DEFAULT 1,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "custom_fields" JSONB,
    "official_response_attachment_s3_keys" JSONB,
    "official_responses" JSONB,

    CONSTRAINT "submittals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_events" (
    "id" TEXT NOT NULL,
    "sync_type" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "start_time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completion_time" TIMESTAMP(3),
    "entity_types" JSONB NOT NULL,
    "record_counts" JSONB NOT NULL,
    "errors" JSONB,

    CONSTRAINT "sync_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "timesheets" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "date" DATE NOT NULL,
    "name" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "created_by" JSONB NOT NULL,
    "timecard_entries" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "timesheets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vendor_insurances" (
    "id" BIGINT NOT NULL,
    "vendor_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "insurance_type" TEXT NOT NULL,
    "policy_number" TEXT,
    "limit" TEXT,
    "effective_date" DATE,
    "expiration_date" DATE,
    "status" TEXT NOT NULL,
    "exempt" BOOLEAN NOT NULL DEFAULT false,
    "info_received" BOOLEAN NOT NULL DEFAULT false,
    "enable_expired_insurance_notifications" BOOLEAN NOT NULL DEFAULT false,
    "notes" TEXT,
    "additional_insured" TEXT,
    "division_template" TEXT,
    "insurance_sets" TEXT,
    "origin_id" TEXT,
    "origin_data" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vendor_insurances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vendors" (
    "id" BIGINT NOT NULL,
    "company_id" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "abbreviated_name" TEXT,
    "address" TEXT,
    "city" TEXT,
    "state_code" TEXT,
    "zip" TEXT,
    "country_code" TEXT,
    "business_phone" TEXT,
    "mobile_phone" TEXT,
    "fax_number" TEXT,
    "email_address" TEXT,
    "website" TEXT,
    "trade_name" TEXT,
    "license_number" TEXT,
    "labor_union" TEXT,
    "authorized_bidder" BOOLEAN NOT NULL DEFAULT false,
    "prequalified" BOOLEAN NOT NULL DEFAULT false,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "union_member" BOOLEAN NOT NULL DEFAULT false,
    "non_union_prevailing_wage" BOOLEAN NOT NULL DEFAULT false,
    "notes" TEXT,
    "parent_id" BIGINT,
    "primary_contact_id" BIGINT,
    "origin_id" TEXT,
    "origin_code" TEXT,
    "origin_data" TEXT,
    "bidding_qualifications" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vendors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_health_metrics" (
    "id" TEXT NOT NULL,
    "hook_id" TEXT NOT NULL,
    "company_id" BIGINT NOT NULL,
    "timestamp" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "total_deliveries" INTEGER NOT NULL,
    "successful_deliveries" INTEGER NOT NULL,
    "failing_deliveries" INTEGER NOT NULL,
    "discarded_deliveries" INTEGER NOT NULL,
    "success_rate" DOUBLE PRECISION NOT NULL,
    "failure_rate" DOUBLE PRECISION NOT NULL,
    "by_resource_type" JSONB NOT NULL,

    CONSTRAINT "webhook_health_metrics_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_hooks" (
    "id" TEXT NOT NULL,
    "procore_hook_id" TEXT NOT NULL,
    "company_id" BIGINT NOT NULL,
    "namespace" TEXT NOT NULL,
    "api_version" TEXT NOT NULL DEFAULT 'v2',
    "destination_url" TEXT NOT NULL,
    "environment" TEXT NOT NULL DEFAULT 'production',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "webhook_hooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_triggers" (
    "id" TEXT NOT NULL,
    "hook_id" TEXT NOT NULL,
    "resource_name" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "procore_trigger_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_triggers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "direct_costs" (
    "id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "vendor_id" BIGINT,
    "direct_cost_type" TEXT NOT NULL,
    "direct_cost_date" DATE NOT NULL,
    "status" TEXT,
    "invoice_number" TEXT,
    "description" TEXT,
    "payment_date" DATE,
    "received_date" DATE,
    "terms" TEXT,
    "grand_total" DECIMAL(15,2) NOT NULL,
    "employee_id" BIGINT,
    "origin_id" TEXT,
    "origin_data" TEXT,
    "synced" BOOLEAN NOT NULL DEFAULT false,
    "has_workflows" BOOLEAN NOT NULL DEFAULT false,
    "currency_configuration" JSONB,
    "attachments_s3_keys" JSONB,
    "attachment_ids" BIGINT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "deleted_at" TIMESTAMP(3),
    "last_synced_at" TIMESTAMP(3),

    CONSTRAINT "direct_costs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "direct_cost_items" (
    "id" BIGINT NOT NULL,
    "direct_cost_id" BIGINT NOT NULL,
    "project_id" BIGINT NOT NULL,
    "wbs_code_id" BIGINT,
    "cost_code_id" BIGINT,
    "line_item_type_id" BIGINT,
    "amount" DECIMAL(15,2) NOT NULL,
    "quantity" DECIMAL(15,4),
    "unit_cost" DECIMAL(15,4),
    "uom" TEXT,
    "description" TEXT,
    "extended_type" TEXT,
    "extended_amount" DECIMAL(15,2),
    "total_amount" DECIMAL(15,2),
    "position" INTEGER,
    "ref" TEXT,
    "tax_code_id" BIGINT,
    "origin_id" TEXT,
    "origin_data" TEXT,
    "currency_configuration" JSONB,
    "cost_code" JSONB,
    "line_item_type" JSONB,
    "wbs_code" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "last_synced_at" TIMESTAMP(3),

    CONSTRAINT "direct_cost_items_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "api_credentials_credential_type_idx" ON "api_credentials"("credential_type");

-- CreateIndex
CREATE INDEX "api_credentials_expires_at_idx" ON "api_credentials"("expires_at");

-- CreateIndex
CREATE INDEX "audit_records_application_id_idx" ON "audit_records"("application_id");

-- CreateIndex
CREATE INDEX "audit_records_expires_at_idx" ON "audit_records"("expires_at");

-- CreateIndex
CREATE INDEX "audit_records_procore_entity_type_idx" ON "audit_records"("procore_entity_type");

-- CreateIndex
CREATE INDEX "audit_records_timestamp_idx" ON "audit_records"("timestamp");

-- CreateIndex
CREATE INDEX "budget_line_items_budget_view_id_idx" ON "budget_line_items"("budget_view_id");

-- CreateIndex
CREATE INDEX "budget_line_items_budgeted_idx" ON "budget_line_items"("budgeted");

-- CreateIndex
CREATE INDEX "budget_line_items_category_id_idx" ON "budget_line_items"("category_id");

-- CreateIndex
CREATE INDEX "budget_line_items_cost_code_id_idx" ON "budget_line_items"("cost_code_id");

-- CreateIndex
CREATE INDEX "budget_line_items_is_forecast_manual_idx" ON "budget_line_items"("is_forecast_manual");

-- CreateIndex
CREATE INDEX "budget_line_items_last_synced_at_idx" ON "budget_line_items"("last_synced_at");

-- CreateIndex
CREATE INDEX "budget_line_items_project_id_idx" ON "budget_line_items"("project_id");

-- CreateIndex
CREATE INDEX "budget_line_items_root_cost_code_id_idx" ON "budget_line_items"("root_cost_code_id");

-- CreateIndex
CREATE INDEX "budget_views_last_synced_at_idx" ON "budget_views"("last_synced_at");

-- CreateIndex
CREATE INDEX "budget_views_project_id_idx" ON "budget_views"("project_id");

-- CreateIndex
CREATE INDEX "budget_views_view_type_idx" ON "budget_views"("view_type");

-- CreateIndex
CREATE INDEX "change_orders_last_synced_at_idx" ON "change_orders"("last_synced_at");

-- CreateIndex
CREATE INDEX "change_orders_project_id_idx" ON "change_orders"("project_id");

-- CreateIndex
CREATE INDEX "change_orders_status_idx" ON "change_orders"("status");

-- CreateIndex
CREATE INDEX "change_orders_updated_at_idx" ON "change_orders"("updated_at");

-- CreateIndex
CREATE INDEX "change_events_last_synced_at_idx" ON "change_events"("last_synced_at");

-- CreateIndex
CREATE INDEX "change_events_project_id_idx" ON "change_events"("project_id");

-- CreateIndex
CREATE INDEX "change_events_status_idx" ON "change_events"("status");

-- CreateIndex
CREATE INDEX "change_events_event_type_idx" ON "change_events"("event_type");

-- CreateIndex
CREATE INDEX "change_events_updated_at_idx" ON "change_events"("updated_at");

-- CreateIndex
CREATE INDEX "commitment_contract_items_commitment_contract_id_idx" ON "commitment_contract_items"("commitment_contract_id");

-- CreateIndex
CREATE INDEX "commitment_contract_items_last_synced_at_idx" ON "commitment_contract_items"("last_synced_at");

-- CreateIndex
CREATE INDEX "commitment_contract_items_project_id_idx" ON "commitment_contract_items"("project_id");

-- CreateIndex
CREATE INDEX "commitment_contract_items_vendor_id_idx" ON "commitment_contract_items"("vendor_id");

-- CreateIndex
CREATE INDEX "commitment_contract_items_wbs_code_id_idx" ON "commitment_contract_items"("wbs_code_id");

-- CreateIndex
CREATE INDEX "commitment_contracts_actual_completion_date_idx" ON "commitment_contracts"("actual_completion_date");

-- CreateIndex
CREATE INDEX "commitment_contracts_contract_date_idx" ON "commitment_contracts"("contract_date");

-- CreateIndex
CREATE INDEX "commitment_contracts_contract_estimated_completion_date_idx" ON "commitment_contracts"("contract_estimated_completion_date");

-- CreateIndex
CREATE INDEX "commitment_contracts_contract_start_date_idx" ON "commitment_contracts"("contract_start_date");

-- CreateIndex
CREATE INDEX "commitment_contracts_executed_idx" ON "commitment_contracts"("executed");

-- CreateIndex
CREATE INDEX "commitment_contracts_issued_on_date_idx" ON "commitment_contracts"("issued_on_date");

-- CreateIndex
CREATE INDEX "commitment_contracts_last_synced_at_idx" ON "commitment_contracts"("last_synced_at");

-- CreateIndex
CREATE INDEX "commitment_contracts_project_id_idx" ON "commitment_contracts"("project_id");

-- CreateIndex
CREATE INDEX "commitment_contracts_status_idx" ON "commitment_contracts"("status");

-- CreateIndex
CREATE INDEX "commitment_contracts_type_idx" ON "commitment_contracts"("type");

-- CreateIndex
CREATE INDEX "commitment_contracts_vendor_id_idx" ON "commitment_contracts"("vendor_id");

-- CreateIndex
CREATE INDEX "commitment_change_orders_batch_id_idx" ON "commitment_change_orders"("batch_id");

-- CreateIndex
CREATE INDEX "commitment_change_orders_contract_id_idx" ON "commitment_change_orders"("contract_id");

-- CreateIndex
CREATE INDEX "commitment_change_orders_executed_idx" ON "commitment_change_orders"("executed");

-- CreateIndex
CREATE INDEX "commitment_change_orders_last_synced_at_idx" ON "commitment_change_orders"("last_synced_at");

-- CreateIndex
CREATE INDEX "commitment_change_orders_project_id_idx" ON "commitment_change_orders"("project_id");

-- CreateIndex
CREATE INDEX "commitment_change_orders_status_idx" ON "commitment_change_orders"("status");

-- CreateIndex
CREATE INDEX "commitment_change_orders_updated_at_idx" ON "commitment_change_orders"("updated_at");

-- CreateIndex
CREATE INDEX "commitment_change_order_items_commitment_change_order_id_idx" ON "commitment_change_order_items"("commitment_change_order_id");

-- CreateIndex
CREATE INDEX "commitment_change_order_items_commitment_line_item_id_idx" ON "commitment_change_order_items"("commitment_line_item_id");

-- CreateIndex
CREATE INDEX "commitment_change_order_items_last_synced_at_idx" ON "commitment_change_order_items"("last_synced_at");

-- CreateIndex
CREATE INDEX "commitment_change_order_items_prime_line_item_id_idx" ON "commitment_change_order_items"("prime_line_item_id");

-- CreateIndex
CREATE INDEX "commitment_change_order_items_project_id_idx" ON "commitment_change_order_items"("project_id");

-- CreateIndex
CREATE INDEX "commitment_change_order_items_wbs_code_id_idx" ON "commitment_change_order_items"("wbs_code_id");

-- CreateIndex
CREATE INDEX "company_users_company_id_idx" ON "company_users"("company_id");

-- CreateIndex
CREATE INDEX "company_users_company_id_is_active_idx" ON "company_users"("company_id", "is_active");

-- CreateIndex
CREATE INDEX "company_users_email_address_idx" ON "company_users"("email_address");

-- CreateIndex
CREATE INDEX "company_users_is_active_idx" ON "company_users"("is_active");

-- CreateIndex
CREATE INDEX "company_users_last_synced_at_idx" ON "company_users"("last_synced_at");

-- CreateIndex
CREATE INDEX "company_users_vendor_id_idx" ON "company_users"("vendor_id");

-- CreateIndex
CREATE INDEX "daily_logs_last_synced_at_idx" ON "daily_logs"("last_synced_at");

-- CreateIndex
CREATE INDEX "daily_logs_log_date_idx" ON "daily_logs"("log_date");

-- CreateIndex
CREATE INDEX "daily_logs_project_id_log_date_idx" ON "daily_logs"("project_id", "log_date");

-- CreateIndex
CREATE INDEX "daily_logs_project_id_log_type_idx" ON "daily_logs"("project_id", "log_type");

-- CreateIndex
CREATE INDEX "documents_folder_id_idx" ON "documents"("folder_id");

-- CreateIndex
CREATE INDEX "documents_is_folder_idx" ON "documents"("is_folder");

-- CreateIndex
CREATE INDEX "documents_last_synced_at_idx" ON "documents"("last_synced_at");

-- CreateIndex
CREATE INDEX "documents_parent_id_idx" ON "documents"("parent_id");

-- CreateIndex
CREATE INDEX "documents_project_id_idx" ON "documents"("project_id");

-- CreateIndex
CREATE INDEX "drawing_areas_last_synced_at_idx" ON "drawing_areas"("last_synced_at");

-- CreateIndex
CREATE INDEX "drawing_areas_project_id_idx" ON "drawing_areas"("project_id");

-- CreateIndex
CREATE INDEX "drawing_revisions_current_idx" ON "drawing_revisions"("current");

-- CreateIndex
CREATE INDEX "drawing_revisions_drawing_area_id_idx" ON "drawing_revisions"("drawing_area_id");

-- CreateIndex
CREATE INDEX "drawing_revisions_drawing_id_idx" ON "drawing_revisions"("drawing_id");

-- CreateIndex
CREATE INDEX "drawing_revisions_drawing_set_id_idx" ON "drawing_revisions"("drawing_set_id");

-- CreateIndex
CREATE INDEX "drawing_revisions_last_synced_at_idx" ON "drawing_revisions"("last_synced_at");

-- CreateIndex
CREATE INDEX "drawing_revisions_project_id_idx" ON "drawing_revisions"("project_id");

-- CreateIndex
CREATE INDEX "drawing_revisions_s3_key_idx" ON "drawing_revisions"("s3_key");

-- CreateIndex
CREATE INDEX "drawing_sets_last_synced_at_idx" ON "drawing_sets"("last_synced_at");

-- CreateIndex
CREATE INDEX "drawing_sets_project_id_idx" ON "drawing_sets"("project_id");

-- CreateIndex
CREATE INDEX "drawing_sets_set_date_idx" ON "drawing_sets"("set_date");

-- CreateIndex
CREATE UNIQUE INDEX "drawings_project_id_drawing_number_key" ON "drawings"("project_id", "drawing_number");

-- CreateIndex
CREATE INDEX "drawings_discipline_idx" ON "drawings"("discipline");

-- CreateIndex
CREATE INDEX "drawings_drawing_area_id_idx" ON "drawings"("drawing_area_id");

-- CreateIndex
CREATE INDEX "drawings_last_synced_at_idx" ON "drawings"("last_synced_at");

-- CreateIndex
CREATE INDEX "drawings_project_id_idx" ON "drawings"("project_id");

-- CreateIndex
CREATE INDEX "integration_request_events_application_id_idx" ON "integration_request_events"("application_id");

-- CreateIndex
CREATE INDEX "integration_request_events_event_type_idx" ON "integration_request_events"("event_type");

-- CreateIndex
CREATE INDEX "integration_request_events_procore_entity_type_idx" ON "integration_request_events"("procore_entity_type");

-- CreateIndex
CREATE INDEX "integration_request_events_timestamp_idx" ON "integration_request_events"("timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "integration_response_events_request_id_key" ON "integration_response_events"("request_id");

-- CreateIndex
CREATE INDEX "integration_response_events_request_id_idx" ON "integration_response_events"("request_id");

-- CreateIndex
CREATE INDEX "integration_response_events_success_idx" ON "integration_response_events"("success");

-- CreateIndex
CREATE INDEX "integration_response_events_timestamp_idx" ON "integration_response_events"("timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_submissions_external_invoice_id_key" ON "invoice_submissions"("external_invoice_id");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_submissions_project_id_commitment_id_invoice_number_key" ON "invoice_submissions"("project_id", "commitment_id", "invoice_number");

-- CreateIndex
CREATE INDEX "invoice_submissions_commitment_id_idx" ON "invoice_submissions"("commitment_id");

-- CreateIndex
CREATE INDEX "invoice_submissions_procore_requisition_id_idx" ON "invoice_submissions"("procore_requisition_id");

-- CreateIndex
CREATE INDEX "invoice_submissions_project_id_idx" ON "invoice_submissions"("project_id");

-- CreateIndex
CREATE INDEX "invoice_submissions_status_idx" ON "invoice_submissions"("status");

-- CreateIndex
CREATE INDEX "invoice_submissions_submitted_at_idx" ON "invoice_submissions"("submitted_at");

-- CreateIndex
CREATE INDEX "photos_created_at_idx" ON "photos"("created_at");

-- CreateIndex
CREATE INDEX "photos_image_category_id_idx" ON "photos"("image_category_id");

-- CreateIndex
CREATE INDEX "photos_last_synced_at_idx" ON "photos"("last_synced_at");

-- CreateIndex
CREATE INDEX "photos_project_id_idx" ON "photos"("project_id");

-- CreateIndex
CREATE INDEX "prime_contract_change_orders_batch_id_idx" ON "prime_contract_change_orders"("batch_id");

-- CreateIndex
CREATE INDEX "prime_contract_change_orders_executed_idx" ON "prime_contract_change_orders"("executed");

-- CreateIndex
CREATE INDEX "prime_contract_change_orders_last_synced_at_idx" ON "prime_contract_change_orders"("last_synced_at");

-- CreateIndex
CREATE INDEX "prime_contract_change_orders_prime_contract_id_idx" ON "prime_contract_change_orders"("prime_contract_id");

-- CreateIndex
CREATE INDEX "prime_contract_change_orders_status_idx" ON "prime_contract_change_orders"("status");

-- CreateIndex
CREATE INDEX "prime_contract_change_orders_updated_at_idx" ON "prime_contract_change_orders"("updated_at");

-- CreateIndex
CREATE INDEX "prime_contract_line_items_cost_code_id_idx" ON "prime_contract_line_items"("cost_code_id");

-- CreateIndex
CREATE INDEX "prime_contract_line_items_last_synced_at_idx" ON "prime_contract_line_items"("last_synced_at");

-- CreateIndex
CREATE INDEX "prime_contract_line_items_prime_contract_id_idx" ON "prime_contract_line_items"("prime_contract_id");

-- CreateIndex
CREATE INDEX "prime_contract_line_items_wbs_code_id_idx" ON "prime_contract_line_items"("wbs_code_id");

-- CreateIndex
CREATE INDEX "prime_contracts_contractor_id_idx" ON "prime_contracts"("contractor_id");

-- CreateIndex
CREATE INDEX "prime_contracts_executed_idx" ON "prime_contracts"("executed");

-- CreateIndex
CREATE INDEX "prime_contracts_last_synced_at_idx" ON "prime_contracts"("last_synced_at");

-- CreateIndex
CREATE INDEX "prime_contracts_project_id_idx" ON "prime_contracts"("project_id");

-- CreateIndex
CREATE INDEX "prime_contracts_status_idx" ON "prime_contracts"("status");

-- CreateIndex
CREATE INDEX "prime_contracts_updated_at_idx" ON "prime_contracts"("updated_at");

-- CreateIndex
CREATE INDEX "prime_contracts_vendor_id_idx" ON "prime_contracts"("vendor_id");

-- CreateIndex
CREATE INDEX "owner_invoices_prime_contract_id_idx" ON "owner_invoices"("prime_contract_id");

-- CreateIndex
CREATE INDEX "owner_invoices_project_id_idx" ON "owner_invoices"("project_id");

-- CreateIndex
CREATE INDEX "owner_invoices_status_idx" ON "owner_invoices"("status");

-- CreateIndex
CREATE INDEX "owner_invoices_billing_date_idx" ON "owner_invoices"("billing_date");

-- CreateIndex
CREATE INDEX "owner_invoices_last_synced_at_idx" ON "owner_invoices"("last_synced_at");

-- CreateIndex
CREATE UNIQUE INDEX "processed_webhook_events_ulid_key" ON "processed_webhook_events"("ulid");

-- CreateIndex
CREATE UNIQUE INDEX "processed_webhook_events_event_id_key" ON "processed_webhook_events"("event_id");

-- CreateIndex
CREATE INDEX "processed_webhook_events_expires_at_idx" ON "processed_webhook_events"("expires_at");

-- CreateIndex
CREATE INDEX "processed_webhook_events_processed_at_idx" ON "processed_webhook_events"("processed_at");

-- CreateIndex
CREATE INDEX "processed_webhook_events_resource_name_event_type_idx" ON "processed_webhook_events"("resource_name", "event_type");

-- CreateIndex
CREATE INDEX "processed_webhook_events_ulid_idx" ON "processed_webhook_events"("ulid");

-- CreateIndex
CREATE UNIQUE INDEX "project_users_project_id_user_id_key" ON "project_users"("project_id", "user_id");

-- CreateIndex
CREATE INDEX "project_users_company_id_idx" ON "project_users"("company_id");

-- CreateIndex
CREATE INDEX "project_users_last_synced_at_idx" ON "project_users"("last_synced_at");

-- CreateIndex
CREATE INDEX "project_users_project_id_idx" ON "project_users"("project_id");

-- CreateIndex
CREATE INDEX "project_users_user_id_idx" ON "project_users"("user_id");

-- CreateIndex
CREATE INDEX "project_users_vendor_id_idx" ON "project_users"("vendor_id");

-- CreateIndex
CREATE UNIQUE INDEX "project_roles_project_id_user_id_role_name_key" ON "project_roles"("project_id", "user_id", "role_name");

-- CreateIndex
CREATE INDEX "project_roles_is_active_idx" ON "project_roles"("is_active");

-- CreateIndex
CREATE INDEX "project_roles_last_synced_at_idx" ON "project_roles"("last_synced_at");

-- CreateIndex
CREATE INDEX "project_roles_project_id_idx" ON "project_roles"("project_id");

-- CreateIndex
CREATE INDEX "project_roles_role_name_idx" ON "project_roles"("role_name");

-- CreateIndex
CREATE INDEX "project_roles_user_id_idx" ON "project_roles"("user_id");

-- CreateIndex
CREATE INDEX "projects_active_idx" ON "projects"("active");

-- CreateIndex
CREATE INDEX "projects_last_synced_at_idx" ON "projects"("last_synced_at");

-- CreateIndex
CREATE INDEX "projects_updated_at_idx" ON "projects"("updated_at");

-- CreateIndex
CREATE INDEX "requisitions_billing_date_idx" ON "requisitions"("billing_date");

-- CreateIndex
CREATE INDEX "requisitions_commitment_id_idx" ON "requisitions"("commitment_id");

-- CreateIndex
CREATE INDEX "requisitions_last_synced_at_idx" ON "requisitions"("last_synced_at");

-- CreateIndex
CREATE INDEX "requisitions_project_id_idx" ON "requisitions"("project_id");

-- CreateIndex
CREATE INDEX "requisitions_status_idx" ON "requisitions"("status");

-- CreateIndex
CREATE INDEX "requisitions_updated_at_idx" ON "requisitions"("updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "rfis_project_id_number_key" ON "rfis"("project_id", "number");

-- CreateIndex
CREATE INDEX "rfis_assignee_id_idx" ON "rfis"("assignee_id");

-- CreateIndex
CREATE INDEX "rfis_last_synced_at_idx" ON "rfis"("last_synced_at");

-- CreateIndex
CREATE INDEX "rfis_project_id_idx" ON "rfis"("project_id");

-- CreateIndex
CREATE INDEX "rfis_status_idx" ON "rfis"("status");

-- CreateIndex
CREATE INDEX "rfis_updated_at_idx" ON "rfis"("updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "specification_section_divisions_project_id_number_key" ON "specification_section_divisions"("project_id", "number");

-- CreateIndex
CREATE INDEX "specification_section_divisions_last_synced_at_idx" ON "specification_section_divisions"("last_synced_at");

-- CreateIndex
CREATE INDEX "specification_section_divisions_number_idx" ON "specification_section_divisions"("number");

-- CreateIndex
CREATE INDEX "specification_section_divisions_project_id_idx" ON "specification_section_divisions"("project_id");

-- CreateIndex
CREATE INDEX "specification_section_revisions_last_synced_at_idx" ON "specification_section_revisions"("last_synced_at");

-- CreateIndex
CREATE INDEX "specification_section_revisions_number_idx" ON "specification_section_revisions"("number");

-- CreateIndex
CREATE INDEX "specification_section_revisions_project_id_idx" ON "specification_section_revisions"("project_id");

-- CreateIndex
CREATE INDEX "specification_section_revisions_s3_key_idx" ON "specification_section_revisions"("s3_key");

-- CreateIndex
CREATE INDEX "specification_section_revisions_specification_section_divis_idx" ON "specification_section_revisions"("specification_section_division_id");

-- CreateIndex
CREATE INDEX "specification_section_revisions_specification_section_id_idx" ON "specification_section_revisions"("specification_section_id");

-- CreateIndex
CREATE INDEX "specification_section_revisions_specification_set_id_idx" ON "specification_section_revisions"("specification_set_id");

-- CreateIndex
CREATE UNIQUE INDEX "specification_sections_project_id_number_key" ON "specification_sections"("project_id", "number");

-- CreateIndex
CREATE INDEX "specification_sections_current_revision_id_idx" ON "specification_sections"("current_revision_id");

-- CreateIndex
CREATE INDEX "specification_sections_last_synced_at_idx" ON "specification_sections"("last_synced_at");

-- CreateIndex
CREATE INDEX "specification_sections_number_idx" ON "specification_sections"("number");

-- CreateIndex
CREATE INDEX "specification_sections_project_id_idx" ON "specification_sections"("project_id");

-- CreateIndex
CREATE INDEX "specification_sections_specification_section_division_id_idx" ON "specification_sections"("specification_section_division_id");

-- CreateIndex
CREATE INDEX "submittal_attachments_last_synced_at_idx" ON "submittal_attachments"("last_synced_at");

-- CreateIndex
CREATE INDEX "submittal_attachments_project_id_idx" ON "submittal_attachments"("project_id");

-- CreateIndex
CREATE INDEX "submittal_attachments_submittal_id_idx" ON "submittal_attachments"("submittal_id");

-- CreateIndex
CREATE INDEX "submittals_last_synced_at_idx" ON "submittals"("last_synced_at");

-- CreateIndex
CREATE INDEX "submittals_project_id_idx" ON "submittals"("project_id");

-- CreateIndex
CREATE INDEX "submittals_project_id_number_idx" ON "submittals"("project_id", "number");

-- CreateIndex
CREATE INDEX "submittals_status_id_idx" ON "submittals"("status_id");

-- CreateIndex
CREATE INDEX "submittals_updated_at_idx" ON "submittals"("updated_at");

-- CreateIndex
CREATE INDEX "sync_events_start_time_idx" ON "sync_events"("start_time");

-- CreateIndex
CREATE INDEX "sync_events_status_idx" ON "sync_events"("status");

-- CreateIndex
CREATE INDEX "sync_events_sync_type_idx" ON "sync_events"("sync_type");

-- CreateIndex
CREATE INDEX "timesheets_date_idx" ON "timesheets"("date");

-- CreateIndex
CREATE INDEX "timesheets_last_synced_at_idx" ON "timesheets"("last_synced_at");

-- CreateIndex
CREATE INDEX "timesheets_project_id_idx" ON "timesheets"("project_id");

-- CreateIndex
CREATE INDEX "timesheets_status_idx" ON "timesheets"("status");

-- CreateIndex
CREATE INDEX "timesheets_updated_at_idx" ON "timesheets"("updated_at");

-- CreateIndex
CREATE INDEX "vendor_insurances_expiration_date_idx" ON "vendor_insurances"("expiration_date");

-- CreateIndex
CREATE INDEX "vendor_insurances_insurance_type_idx" ON "vendor_insurances"("insurance_type");

-- CreateIndex
CREATE INDEX "vendor_insurances_last_synced_at_idx" ON "vendor_insurances"("last_synced_at");

-- CreateIndex
CREATE INDEX "vendor_insurances_status_idx" ON "vendor_insurances"("status");

-- CreateIndex
CREATE INDEX "vendor_insurances_vendor_id_idx" ON "vendor_insurances"("vendor_id");

-- CreateIndex
CREATE INDEX "vendors_authorized_bidder_idx" ON "vendors"("authorized_bidder");

-- CreateIndex
CREATE INDEX "vendors_company_id_idx" ON "vendors"("company_id");

-- CreateIndex
CREATE INDEX "vendors_is_active_idx" ON "vendors"("is_active");

-- CreateIndex
CREATE INDEX "vendors_last_synced_at_idx" ON "vendors"("last_synced_at");

-- CreateIndex
CREATE INDEX "vendors_parent_id_idx" ON "vendors"("parent_id");

-- CreateIndex
CREATE INDEX "vendors_prequalified_idx" ON "vendors"("prequalified");

-- CreateIndex
CREATE INDEX "webhook_health_metrics_company_id_idx" ON "webhook_health_metrics"("company_id");

-- CreateIndex
CREATE INDEX "webhook_health_metrics_hook_id_idx" ON "webhook_health_metrics"("hook_id");

-- CreateIndex
CREATE INDEX "webhook_health_metrics_timestamp_idx" ON "webhook_health_metrics"("timestamp");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_hooks_procore_hook_id_key" ON "webhook_hooks"("procore_hook_id");

-- CreateIndex
CREATE INDEX "webhook_hooks_active_idx" ON "webhook_hooks"("active");

-- CreateIndex
CREATE INDEX "webhook_hooks_company_id_idx" ON "webhook_hooks"("company_id");

-- CreateIndex
CREATE INDEX "webhook_hooks_environment_idx" ON "webhook_hooks"("environment");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_triggers_hook_id_resource_name_event_type_key" ON "webhook_triggers"("hook_id", "resource_name", "event_type");

-- CreateIndex
CREATE INDEX "webhook_triggers_hook_id_idx" ON "webhook_triggers"("hook_id");

-- CreateIndex
CREATE INDEX "webhook_triggers_resource_name_idx" ON "webhook_triggers"("resource_name");

-- CreateIndex
CREATE UNIQUE INDEX "direct_costs_origin_id_key" ON "direct_costs"("origin_id");

-- CreateIndex
CREATE INDEX "direct_costs_project_id_idx" ON "direct_costs"("project_id");

-- CreateIndex
CREATE INDEX "direct_costs_vendor_id_idx" ON "direct_costs"("vendor_id");

-- CreateIndex
CREATE INDEX "direct_costs_origin_id_idx" ON "direct_costs"("origin_id");

-- CreateIndex
CREATE INDEX "direct_costs_direct_cost_date_idx" ON "direct_costs"("direct_cost_date");

-- CreateIndex
CREATE INDEX "direct_costs_status_idx" ON "direct_costs"("status");

-- CreateIndex
CREATE INDEX "direct_costs_last_synced_at_idx" ON "direct_costs"("last_synced_at");

-- CreateIndex
CREATE UNIQUE INDEX "direct_cost_items_origin_id_key" ON "direct_cost_items"("origin_id");

-- CreateIndex
CREATE INDEX "direct_cost_items_direct_cost_id_idx" ON "direct_cost_items"("direct_cost_id");

-- CreateIndex
CREATE INDEX "direct_cost_items_project_id_idx" ON "direct_cost_items"("project_id");

-- CreateIndex
CREATE INDEX "direct_cost_items_wbs_code_id_idx" ON "direct_cost_items"("wbs_code_id");

-- CreateIndex
CREATE INDEX "direct_cost_items_origin_id_idx" ON "direct_cost_items"("origin_id");

-- CreateIndex
CREATE INDEX "direct_cost_items_last_synced_at_idx" ON "direct_cost_items"("last_synced_at");
