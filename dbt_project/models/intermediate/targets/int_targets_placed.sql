-- Targets in force as of as_of, each placed in the org tree: a unit's assigned target sits
-- at the unit, a rep's committed target at the rep's team. Only the SPEC pairs are kept
-- (units `assigned`, reps `committed`); months that start after as_of and rep targets
-- signed after as_of are not known yet.
with

targets as (

    select * from {{ ref('stg_crm__targets') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

dated as (

    select
        targets.*,
        cast({{ dbt.concat(["targets.period", "'-01'"]) }} as date) as period_start
    from targets

),

placed as (

    select
        -- ids
        dated.unit_id as holder_id,
        case when dated.level = 'rep' then dated.unit_id end as rep_id,
        case when dated.level = 'rep' then reps.team_id else dated.unit_id end as anchor_unit_id,
        -- attributes
        dated.period,
        dated.period_start,
        dated.level as target_level,
        case dated.level
            when 'hq' then 1
            when 'region' then 2
            when 'city' then 3
            when 'team' then 4
            when 'rep' then 5
        end as level_rank,
        dated.kind,
        -- amounts
        cast(dated.amount as {{ type_double() }}) as amount,
        -- timestamps
        dated.signed_at
    from dated
    cross join as_of
    left join reps
        on dated.level = 'rep'
        and reps.rep_id = dated.unit_id
    where dated.period_start <= as_of.as_of
        and (dated.signed_at is null or cast(dated.signed_at as date) <= as_of.as_of)
        and (
            (dated.level = 'rep' and dated.kind = 'committed')
            or (dated.level <> 'rep' and dated.kind = 'assigned')
        )

)

select * from placed
