-- Stated vs evidence-based loss-reason mix side by side 输单原因分布对比, per org unit
-- (rolled up through the org tree) and month lost.
with

lost as (

    select * from {{ ref('fct_lost_opportunity_reasons') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

codes as (

    select reason_code, label_zh, label_en, sort_order
    from {{ ref('loss_reason_codes') }}

),

unlisted_codes as (

    select distinct
        stated_reason_code as reason_code,
        stated_reason_code as label_zh,
        stated_reason_code as label_en,
        999 as sort_order
    from lost
    where stated_reason_code is not null
        and stated_reason_code not in (select reason_code from codes)

),

reasons as (

    select * from codes
    union all
    select * from unlisted_codes

),

unit_lost as (

    select
        closure.ancestor_id as unit_id,
        lost.lost_month,
        lost.stated_reason_code,
        lost.evidence_reason_code,
        lost.as_of
    from lost
    inner join closure
        on closure.descendant_id = lost.team_id

),

unit_months as (

    select
        unit_id,
        lost_month,
        as_of,
        count(*) as lost_count,
        count(stated_reason_code) as stated_total,
        count(evidence_reason_code) as evidence_total
    from unit_lost
    group by unit_id, lost_month, as_of

),

stated_counts as (

    select unit_id, lost_month, stated_reason_code as reason_code, count(*) as stated_count
    from unit_lost
    where stated_reason_code is not null
    group by unit_id, lost_month, stated_reason_code

),

evidence_counts as (

    select unit_id, lost_month, evidence_reason_code as reason_code, count(*) as evidence_count
    from unit_lost
    where evidence_reason_code is not null
    group by unit_id, lost_month, evidence_reason_code

),

final as (

    select
        -- ids
        unit_months.unit_id,
        {{ org_unit_name('unit_months.unit_id') }} as unit_name,
        unit_months.lost_month,
        reasons.reason_code,
        -- labels
        reasons.label_zh,
        reasons.label_en,
        cast(reasons.sort_order as {{ dbt.type_bigint() }}) as sort_order,
        -- counts
        cast(unit_months.lost_count as {{ dbt.type_bigint() }}) as lost_count,
        cast(unit_months.stated_total as {{ dbt.type_bigint() }}) as stated_total,
        cast(coalesce(stated_counts.stated_count, 0) as {{ dbt.type_bigint() }}) as stated_count,
        cast(unit_months.evidence_total as {{ dbt.type_bigint() }}) as evidence_total,
        cast(coalesce(evidence_counts.evidence_count, 0) as {{ dbt.type_bigint() }}) as evidence_count,
        -- shares
        case when unit_months.stated_total > 0
            then cast(coalesce(stated_counts.stated_count, 0) as {{ type_double() }}) / unit_months.stated_total
        end as stated_share,
        case when unit_months.evidence_total > 0
            then cast(coalesce(evidence_counts.evidence_count, 0) as {{ type_double() }}) / unit_months.evidence_total
        end as evidence_share,
        unit_months.as_of
    from unit_months
    cross join reasons
    left join stated_counts
        on stated_counts.unit_id = unit_months.unit_id
        and stated_counts.lost_month = unit_months.lost_month
        and stated_counts.reason_code = reasons.reason_code
    left join evidence_counts
        on evidence_counts.unit_id = unit_months.unit_id
        and evidence_counts.lost_month = unit_months.lost_month
        and evidence_counts.reason_code = reasons.reason_code

)

select * from final
where {{ mart_is_available('fct_loss_reason_mix_monthly') }}
