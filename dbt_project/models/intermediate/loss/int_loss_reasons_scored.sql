-- Evidence score of each candidate loss reason of a lost opportunity, ranked. score =
-- Σ record weights (each record counted once per reason at its best rule). The
-- evidence-based reason is the rank-1 reason when its score reaches the seed setting
-- min_evidence_score (weak signals alone never attribute). Tie-break, in order: higher
-- score; the most recent supporting evidence (the cause closest to the loss); the
-- strongest rule (lowest priority); the reason's sort_order in loss_reason_codes.
-- One row per lost opportunity × reason with at least one matched record.
with

records as (

    select * from {{ ref('int_loss_evidence_matched_to_rules') }}

),

codes as (

    select * from {{ ref('loss_reason_codes') }}

),

settings as (

    select cast(value as {{ type_double() }}) as min_evidence_score
    from {{ ref('loss_attribution_settings') }}
    where setting = 'min_evidence_score'

),

scored as (

    select
        opportunity_id,
        loss_reason,
        sum(weight) as score,
        count(*) as evidence_record_count,
        min(priority) as best_priority,
        max(evidence_at) as latest_evidence_at
    from records
    group by opportunity_id, loss_reason

),

ranked as (

    select
        scored.*,
        row_number() over (
            partition by scored.opportunity_id
            order by
                scored.score desc,
                scored.latest_evidence_at desc,
                scored.best_priority,
                coalesce(codes.sort_order, 999),
                scored.loss_reason
        ) as reason_rank
    from scored
    left join codes
        on codes.reason_code = scored.loss_reason

)

select
    -- ids
    ranked.opportunity_id,
    ranked.loss_reason,
    -- score
    cast(ranked.score as {{ type_double() }}) as score,
    cast(ranked.evidence_record_count as {{ dbt.type_bigint() }}) as evidence_record_count,
    cast(ranked.best_priority as {{ dbt.type_bigint() }}) as best_priority,
    cast(ranked.reason_rank as {{ dbt.type_bigint() }}) as reason_rank,
    ranked.reason_rank = 1 and ranked.score >= settings.min_evidence_score as is_attributed,
    -- timestamps
    ranked.latest_evidence_at
from ranked
cross join settings
