-- Data completeness as of as_of: how many open deals lack an amount, an account, an expected
-- close date (or carry words such as 尽快 instead of one), a created date, and how many people
-- lack a hire date — per org unit and per rep. Definitions: models/marts/_marts__models.yml.
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

-- the expected-close classification of the forecast hygiene checks (one definition)
close_dates as (

    select * from {{ ref('int_open_opportunities_classified_for_hygiene') }}

),

-- the people on the books as of as_of: hired by then, or with an unknown hire date
reps as (

    select reps.*
    from {{ ref('stg_crm__reps') }} as reps
    cross join as_of
    where reps.hire_date is null or reps.hire_date <= as_of.as_of

),

open_deals as (

    select
        -- ids
        positions.opportunity_id,
        positions.owner_rep_id,
        positions.team_id,
        -- gaps (1 = the value is unknown)
        case when opportunities.amount is null then 1 else 0 end as is_without_amount,
        case when opportunities.customer_id is null then 1 else 0 end as is_without_customer,
        case when close_dates.close_date_class = 'empty' then 1 else 0 end as is_without_expected_close,
        case when close_dates.close_date_class = 'non_date_text' then 1 else 0 end as is_expected_close_not_a_date,
        case when positions.created_at is null then 1 else 0 end as is_without_created
    from positions
    inner join opportunities
        on opportunities.opportunity_id = positions.opportunity_id
    left join close_dates
        on close_dates.opportunity_id = positions.opportunity_id
    where positions.status_as_of = 'open'

),

people as (

    select
        rep_id,
        team_id,
        case when hire_date is null then 1 else 0 end as is_without_hire_date
    from reps

),

placed_deals as (

    {{ roll_up_to_org_units('open_deals', 'closure', 'org_units') }}

),

placed_people as (

    {{ roll_up_to_org_units('people', 'closure', 'org_units') }}

),

deal_gaps as (

    select
        'unit' as scope_type,
        unit_id as scope_id,
        count(*) as open_count,
        sum(is_without_amount) as open_without_amount_count,
        sum(is_without_customer) as open_without_customer_count,
        sum(is_without_expected_close) as open_without_expected_close_count,
        sum(is_expected_close_not_a_date) as open_expected_close_not_a_date_count,
        sum(is_without_created) as open_without_created_count
    from placed_deals
    group by unit_id

    union all

    select
        'rep' as scope_type,
        owner_rep_id as scope_id,
        count(*) as open_count,
        sum(is_without_amount) as open_without_amount_count,
        sum(is_without_customer) as open_without_customer_count,
        sum(is_without_expected_close) as open_without_expected_close_count,
        sum(is_expected_close_not_a_date) as open_expected_close_not_a_date_count,
        sum(is_without_created) as open_without_created_count
    from open_deals
    group by owner_rep_id

),

people_gaps as (

    select
        'unit' as scope_type,
        unit_id as scope_id,
        count(*) as reps_count,
        sum(is_without_hire_date) as reps_without_hire_date_count
    from placed_people
    group by unit_id

    union all

    select
        'rep' as scope_type,
        rep_id as scope_id,
        count(*) as reps_count,
        sum(is_without_hire_date) as reps_without_hire_date_count
    from people
    group by rep_id

),

-- every unit (zero rows included); every person of the reps extract and every owner of an
-- open deal (one missing from the reps extract is a finding too)
scopes as (

    select
        'unit' as scope_type,
        unit_id as scope_id,
        unit_id,
        level as scope_level,
        cast(null as {{ dbt.type_string() }}) as rep_id
    from org_units

    union all

    select
        'rep' as scope_type,
        rep_ids.rep_id as scope_id,
        reps.team_id as unit_id,
        'rep' as scope_level,
        rep_ids.rep_id
    from (
        select rep_id from reps
        union
        select owner_rep_id as rep_id from open_deals
    ) as rep_ids
    left join reps
        on reps.rep_id = rep_ids.rep_id

),

final as (

    select
        -- grain
        as_of.as_of,
        scopes.scope_type,
        scopes.scope_id,
        scopes.scope_level,
        scopes.unit_id,
        scopes.rep_id,
        -- open deals and their gaps
        coalesce(deal_gaps.open_count, 0) as open_count,
        coalesce(deal_gaps.open_without_amount_count, 0) as open_without_amount_count,
        coalesce(deal_gaps.open_without_customer_count, 0) as open_without_customer_count,
        coalesce(deal_gaps.open_without_expected_close_count, 0) as open_without_expected_close_count,
        coalesce(deal_gaps.open_expected_close_not_a_date_count, 0) as open_expected_close_not_a_date_count,
        coalesce(deal_gaps.open_without_created_count, 0) as open_without_created_count,
        -- people
        coalesce(people_gaps.reps_count, 0) as reps_count,
        coalesce(people_gaps.reps_without_hire_date_count, 0) as reps_without_hire_date_count
    from scopes
    cross join as_of
    left join deal_gaps
        on deal_gaps.scope_type = scopes.scope_type
        and deal_gaps.scope_id = scopes.scope_id
    left join people_gaps
        on people_gaps.scope_type = scopes.scope_type
        and people_gaps.scope_id = scopes.scope_id
    where {{ mart_is_available('fct_data_completeness') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(rep_id as {{ dbt.type_string() }}) as rep_id,
    -- open deals and their gaps
    cast(open_count as {{ dbt.type_bigint() }}) as open_count,
    cast(open_without_amount_count as {{ dbt.type_bigint() }}) as open_without_amount_count,
    cast(open_without_customer_count as {{ dbt.type_bigint() }}) as open_without_customer_count,
    cast(open_without_expected_close_count as {{ dbt.type_bigint() }}) as open_without_expected_close_count,
    cast(open_expected_close_not_a_date_count as {{ dbt.type_bigint() }}) as open_expected_close_not_a_date_count,
    cast(open_without_created_count as {{ dbt.type_bigint() }}) as open_without_created_count,
    {%- for gap in [
        'without_amount',
        'without_customer',
        'without_expected_close',
        'expected_close_not_a_date',
        'without_created',
    ] %}
    cast(
        case when open_count > 0 then cast(open_{{ gap }}_count as {{ type_double() }}) / open_count end
        as {{ type_double() }}
    ) as open_{{ gap }}_share,
    {%- endfor %}
    -- people
    cast(reps_count as {{ dbt.type_bigint() }}) as reps_count,
    cast(reps_without_hire_date_count as {{ dbt.type_bigint() }}) as reps_without_hire_date_count,
    cast(
        case when reps_count > 0 then cast(reps_without_hire_date_count as {{ type_double() }}) / reps_count end
        as {{ type_double() }}
    ) as reps_without_hire_date_share
from final
