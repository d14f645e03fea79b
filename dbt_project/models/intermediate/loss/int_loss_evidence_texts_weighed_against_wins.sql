-- Each evidence text weighed against won deals. A text that reps or customers write in won
-- deals as often as in lost ones — a CRM template (提交痛点诊断问卷:人工成本高), a routine
-- status line, price talk that every deal has — says nothing about why a deal was lost, even
-- when it contains a rule's keyword. discrimination = max(0, 1 − won_share / lost_share),
-- where a share is the closed deals (as of as_of) of that outcome with a record of that
-- source kind and exact text matching any rule; 1 when no won deal has the text (free text
-- written once, or only ever in lost deals, keeps its rule's full weight). One row per
-- source kind × evidence text matching a rule.
with

records as (

    select * from {{ ref('int_closed_opportunity_records_matched_to_rules') }}

),

closed as (

    select
        count(case when status_as_of = 'lost' then 1 end) as lost_deals,
        count(case when status_as_of = 'won' then 1 end) as won_deals
    from {{ ref('int_opportunities_with_evidence_window') }}

),

matched as (

    select
        source_kind,
        evidence_text,
        count(distinct case when status_as_of = 'lost' then opportunity_id end) as lost_deals_matched,
        count(distinct case when status_as_of = 'won' then opportunity_id end) as won_deals_matched
    from records
    where evidence_text is not null
    group by source_kind, evidence_text

),

shares as (

    select
        matched.source_kind,
        matched.evidence_text,
        closed.lost_deals,
        closed.won_deals,
        matched.lost_deals_matched,
        matched.won_deals_matched,
        cast(matched.lost_deals_matched as {{ type_double() }}) / nullif(closed.lost_deals, 0) as lost_share,
        cast(matched.won_deals_matched as {{ type_double() }}) / nullif(closed.won_deals, 0) as won_share
    from matched
    cross join closed

)

select
    -- ids
    source_kind,
    evidence_text,
    -- counts
    cast(lost_deals as {{ dbt.type_bigint() }}) as lost_deals,
    cast(won_deals as {{ dbt.type_bigint() }}) as won_deals,
    cast(lost_deals_matched as {{ dbt.type_bigint() }}) as lost_deals_matched,
    cast(won_deals_matched as {{ dbt.type_bigint() }}) as won_deals_matched,
    -- shares
    cast(lost_share as {{ type_double() }}) as lost_share,
    cast(won_share as {{ type_double() }}) as won_share,
    cast(
        case
            when won_deals_matched = 0 then 1.0
            when lost_deals_matched = 0 then 0.0
            else greatest(0.0, 1.0 - won_share / lost_share)
        end as {{ type_double() }}
    ) as discrimination
from shares
