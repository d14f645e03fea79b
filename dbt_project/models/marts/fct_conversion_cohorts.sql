-- Conversion by cohort: of the leads and the opportunities created in a month, how many went
-- on to an opportunity / a win, as of as_of. Definitions: models/marts/_marts__models.yml.
with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

-- the lead columns are unknown (empty), not zero, when the source has no leads extract
lead_extract as (

    select count(*) > 0 as has_leads
    from leads

),

deals as (

    select
        -- ids
        positions.opportunity_id,
        positions.lead_id,
        positions.team_id,
        -- outcome as of as_of
        positions.status_as_of,
        -- amounts (empty = unknown)
        opportunities.amount,
        -- cohort: the month created; empty when created_at is unknown
        positions.created_at,
        cast({{ dbt.date_trunc('month', 'positions.created_at') }} as date) as cohort_month
    from positions
    inner join opportunities
        on opportunities.opportunity_id = positions.opportunity_id

),

-- per lead: did it become an opportunity (one that exists as of as_of), was one won, and
-- the team of its earliest opportunity (for a lead with no assigned rep)
lead_opportunities as (

    select
        lead_id,
        team_id,
        status_as_of,
        row_number() over (
            partition by lead_id
            order by
                case when created_at is null then 1 else 0 end,
                created_at,
                opportunity_id
        ) as opportunity_number
    from deals
    where lead_id is not null

),

lead_outcomes as (

    select
        lead_id,
        max(case when opportunity_number = 1 then team_id end) as first_opportunity_team_id,
        max(case when status_as_of = 'won' then 1 else 0 end) as has_won
    from lead_opportunities
    group by lead_id

),

cohort_leads as (

    select
        leads.lead_id,
        coalesce(assigned_reps.team_id, lead_outcomes.first_opportunity_team_id) as team_id,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as cohort_month,
        case when lead_outcomes.lead_id is not null then 1 else 0 end as is_converted,
        coalesce(lead_outcomes.has_won, 0) as is_won
    from leads
    cross join as_of
    left join reps as assigned_reps
        on assigned_reps.rep_id = leads.assigned_rep_id
    left join lead_outcomes
        on lead_outcomes.lead_id = leads.lead_id
    where cast(leads.created_at as date) <= as_of.as_of

),

placed_leads as (

    {{ roll_up_to_org_units('cohort_leads', 'closure', 'org_units') }}

),

placed_deals as (

    {{ roll_up_to_org_units('deals', 'closure', 'org_units') }}

),

cohort_members as (

    select
        unit_id,
        cohort_month,
        1 as is_lead,
        is_converted as is_converted_lead,
        is_won as is_won_lead,
        0 as is_opportunity,
        cast(null as {{ dbt.type_string() }}) as status_as_of,
        cast(null as decimal(18, 2)) as amount
    from placed_leads

    union all

    select
        unit_id,
        cohort_month,
        0 as is_lead,
        0 as is_converted_lead,
        0 as is_won_lead,
        1 as is_opportunity,
        status_as_of,
        amount
    from placed_deals

),

cohorts as (

    select
        unit_id,
        cohort_month,
        -- leads
        sum(is_lead) as leads_count,
        sum(is_converted_lead) as converted_leads_count,
        sum(is_won_lead) as won_leads_count,
        -- opportunities
        sum(is_opportunity) as opportunities_count,
        sum(case when status_as_of = 'won' then 1 else 0 end) as won_count,
        sum(case when status_as_of = 'lost' then 1 else 0 end) as lost_count,
        sum(case when status_as_of = 'open' then 1 else 0 end) as open_count,
        -- amounts: only the known ones; the unknown are counted apart
        coalesce(sum(case when is_opportunity = 1 then amount end), 0) as opportunities_amount,
        sum(case when is_opportunity = 1 and amount is null then 1 else 0 end) as opportunities_without_amount_count,
        coalesce(sum(case when status_as_of = 'won' then amount end), 0) as won_amount,
        sum(case when status_as_of = 'won' and amount is null then 1 else 0 end) as won_without_amount_count
    from cohort_members
    group by unit_id, cohort_month

),

final as (

    select
        -- grain
        as_of.as_of,
        cohorts.unit_id,
        org_units.level as unit_level,
        case
            when cohorts.cohort_month is null then 'unknown'
            else substring(cast(cohorts.cohort_month as {{ dbt.type_string() }}), 1, 7)
        end as cohort,
        cohorts.cohort_month,
        -- leads (empty without a leads extract)
        case when lead_extract.has_leads then cohorts.leads_count end as leads_count,
        case when lead_extract.has_leads then cohorts.converted_leads_count end as converted_leads_count,
        case when lead_extract.has_leads then cohorts.won_leads_count end as won_leads_count,
        case
            when lead_extract.has_leads and cohorts.leads_count > 0
                then cast(cohorts.converted_leads_count as {{ type_double() }}) / cohorts.leads_count
        end as lead_to_opportunity_rate,
        case
            when lead_extract.has_leads and cohorts.leads_count > 0
                then cast(cohorts.won_leads_count as {{ type_double() }}) / cohorts.leads_count
        end as lead_to_won_rate,
        -- opportunities
        cohorts.opportunities_count,
        cohorts.won_count,
        cohorts.lost_count,
        cohorts.open_count,
        case
            when cohorts.opportunities_count > 0
                then cast(cohorts.won_count as {{ type_double() }}) / cohorts.opportunities_count
        end as opportunity_to_won_rate,
        -- amounts
        cohorts.opportunities_amount,
        cohorts.opportunities_without_amount_count,
        cohorts.won_amount,
        cohorts.won_without_amount_count,
        case
            when cohorts.opportunities_amount > 0
                then cast(cohorts.won_amount as {{ type_double() }}) / cohorts.opportunities_amount
        end as opportunity_to_won_amount_rate
    from cohorts
    cross join as_of
    cross join lead_extract
    inner join org_units
        on org_units.unit_id = cohorts.unit_id
    where {{ mart_is_available('fct_conversion_cohorts') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(cohort as {{ dbt.type_string() }}) as cohort,
    cast(cohort_month as date) as cohort_month,
    -- leads
    cast(leads_count as {{ dbt.type_bigint() }}) as leads_count,
    cast(converted_leads_count as {{ dbt.type_bigint() }}) as converted_leads_count,
    cast(won_leads_count as {{ dbt.type_bigint() }}) as won_leads_count,
    cast(lead_to_opportunity_rate as {{ type_double() }}) as lead_to_opportunity_rate,
    cast(lead_to_won_rate as {{ type_double() }}) as lead_to_won_rate,
    -- opportunities
    cast(opportunities_count as {{ dbt.type_bigint() }}) as opportunities_count,
    cast(won_count as {{ dbt.type_bigint() }}) as won_count,
    cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
    cast(open_count as {{ dbt.type_bigint() }}) as open_count,
    cast(opportunity_to_won_rate as {{ type_double() }}) as opportunity_to_won_rate,
    -- amounts
    cast(opportunities_amount as decimal(18, 2)) as opportunities_amount,
    cast(opportunities_without_amount_count as {{ dbt.type_bigint() }}) as opportunities_without_amount_count,
    cast(won_amount as decimal(18, 2)) as won_amount,
    cast(won_without_amount_count as {{ dbt.type_bigint() }}) as won_without_amount_count,
    cast(opportunity_to_won_amount_rate as {{ type_double() }}) as opportunity_to_won_amount_rate
from final
