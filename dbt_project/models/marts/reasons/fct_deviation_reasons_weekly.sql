-- Weekly deviation reasons by type 每周偏差原因分类, per org unit (rolled up through the tree).
with

reports as (

    select * from {{ ref('int_deviation_reports_joined_to_clusters') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

reason_types as (

    select 'A' as reason_type, '客户决策链变化' as label_zh, 'Customer decision chain changed' as label_en
    union all
    select 'B', '竞品降价', 'Competitor price cut'
    union all
    select 'C', '我方交付延迟', 'Our delivery delay'
    union all
    select 'D', '其他', 'Other'

),

unit_reports as (

    select
        closure.ancestor_id as unit_id,
        reports.week_start,
        reports.reason_type,
        reports.deviation_amount,
        reports.as_of
    from reports
    inner join closure
        on closure.descendant_id = reports.unit_id

),

unit_weeks as (

    select
        unit_id,
        week_start,
        as_of,
        count(*) as week_report_count
    from unit_reports
    group by unit_id, week_start, as_of

),

counts as (

    select
        unit_id,
        week_start,
        reason_type,
        count(*) as report_count,
        sum(deviation_amount) as deviation_amount
    from unit_reports
    group by unit_id, week_start, reason_type

),

dense as (

    select
        unit_weeks.unit_id,
        unit_weeks.week_start,
        reason_types.reason_type,
        reason_types.label_zh,
        reason_types.label_en,
        unit_weeks.week_report_count,
        coalesce(counts.report_count, 0) as report_count,
        coalesce(counts.deviation_amount, 0) as deviation_amount,
        unit_weeks.as_of
    from unit_weeks
    cross join reason_types
    left join counts
        on counts.unit_id = unit_weeks.unit_id
        and counts.week_start = unit_weeks.week_start
        and counts.reason_type = reason_types.reason_type

),

ranked as (

    select
        dense.*,
        rank() over (
            partition by unit_id, week_start
            order by report_count desc
        ) as reason_rank
    from dense

)

select
    -- ids
    unit_id,
    {{ org_unit_name('ranked.unit_id') }} as unit_name,
    week_start,
    reason_type,
    -- labels
    label_zh,
    label_en,
    -- counts and amounts
    cast(report_count as {{ dbt.type_bigint() }}) as report_count,
    cast(week_report_count as {{ dbt.type_bigint() }}) as week_report_count,
    cast(report_count as {{ type_double() }}) / week_report_count as report_share,
    cast(deviation_amount as decimal(18, 2)) as deviation_amount,
    -- ranking
    cast(reason_rank as {{ dbt.type_bigint() }}) as reason_rank,
    reason_rank = 1 and report_count > 0 as is_most_frequent,
    as_of
from ranked
where {{ mart_is_available('fct_deviation_reasons_weekly') }}
