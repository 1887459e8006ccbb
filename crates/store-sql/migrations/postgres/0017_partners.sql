-- Circular Partners (サーキュラーパートナーズ, issue 8): the secretariat's designation,
-- memberships, targets (one row per version) and follow-ups.

-- The organization the node administrator designated as the secretariat (事務局); one row.
CREATE TABLE partner_secretariat (
    singleton BIGINT PRIMARY KEY CHECK (singleton = 1),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    designated_at BIGINT NOT NULL,
    designated_by TEXT NOT NULL
);

CREATE TABLE partner_memberships (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    member_type TEXT NOT NULL,
    format TEXT NOT NULL,
    -- applied, approved, rejected, withdrawn.
    status TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    applied_by TEXT NOT NULL,
    note TEXT,
    -- JSON array of working-group codes.
    working_groups TEXT NOT NULL,
    publish BIGINT NOT NULL,
    follow_up_interval_months BIGINT,
    reviewed_at BIGINT,
    reviewed_by TEXT,
    review_reason TEXT,
    -- ISO dates (YYYY-MM-DD).
    joined_on TEXT,
    withdrawn_on TEXT,
    withdrawal_reason TEXT
);
-- One open application or membership per organization.
CREATE UNIQUE INDEX partner_memberships_open ON partner_memberships (organization_id)
    WHERE status IN ('applied', 'approved');

CREATE TABLE partner_targets (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    membership_id TEXT NOT NULL REFERENCES partner_memberships (id),
    format TEXT NOT NULL,
    -- Comma-separated category codes, for filtering by category.
    categories TEXT NOT NULL,
    -- JSON: the submission as given (content, structured target, project, links).
    submission TEXT NOT NULL,
    is_current BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    submitted_by TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE UNIQUE INDEX partner_targets_current ON partner_targets (id) WHERE is_current = 1;
CREATE INDEX partner_targets_organization ON partner_targets (organization_id, is_current);

-- A version is never changed except to mark it no longer current, and never deleted.
CREATE FUNCTION partner_targets_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.is_current = 1 AND NEW.is_current = 0
       AND (to_jsonb(NEW) - 'is_current') = (to_jsonb(OLD) - 'is_current') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'target versions are immutable: edit a target by submitting its next version';
END;
$$;
CREATE TRIGGER partner_targets_immutable BEFORE UPDATE OR DELETE ON partner_targets
    FOR EACH ROW EXECUTE FUNCTION partner_targets_immutable();

CREATE TABLE partner_follow_ups (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    target_id TEXT NOT NULL,
    target_version BIGINT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    -- JSON: the report as given.
    submission TEXT NOT NULL,
    -- Exact decimal text, when the current value was given.
    share_achieved TEXT,
    -- JSON array of flags.
    flags TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    submitted_by TEXT NOT NULL,
    FOREIGN KEY (target_id, target_version) REFERENCES partner_targets (id, version)
);
-- One follow-up per target and fiscal year.
CREATE UNIQUE INDEX partner_follow_ups_year ON partner_follow_ups (target_id, fiscal_year);
CREATE INDEX partner_follow_ups_organization ON partner_follow_ups (organization_id);

CREATE FUNCTION partner_follow_ups_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'follow-ups are immutable';
END;
$$;
CREATE TRIGGER partner_follow_ups_immutable BEFORE UPDATE OR DELETE ON partner_follow_ups
    FOR EACH ROW EXECUTE FUNCTION partner_follow_ups_immutable();
