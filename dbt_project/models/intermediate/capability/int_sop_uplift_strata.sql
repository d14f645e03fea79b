-- The win-rate comparison behind each card's uplift, one stratum at a time. A card is
-- written for a scenario: an industry (or all) and a stage (or all, read as lead: every
-- opportunity reached it). A stratum is (customer industry, process regime) at the card's
-- stage. Used: closed opportunities (won or lost as of as_of) that reached the card's
-- stage and on which the card was used. Comparable: closed opportunities of the same
-- industry and regime that reached the same stage and never used the card.
--   Why the card's stage and not the stage at the moment of use: a use lands in whatever
--   stage the deal is in, and deals that die early spend their whole (short) life in the
--   early stages, so "used while at stage S" is loaded with deals about to be lost compared
--   with "reached S" — every card then looks harmful (−5 to −10 pp on the simulator's
--   no-effect cards). Both groups here pass the same filter (reached the card's stage).
--   Why the regime: cards are used far more in structured units, which win more anyway;
--   without it the process would be credited to the card.
-- rep_group 'top_reps' repeats the comparison for the uses made by top reps.
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_scenario') }}

),

first_uses as (

    select * from {{ ref('int_sop_first_uses') }}

),

cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

stages as (

    select * from {{ open_funnel_stages_relation() }}

),

card_stages as (

    select
        cards.card_id,
        stages.stage,
        stages.stage_order
    from cards
    inner join stages
        on stages.stage = coalesce(cards.stage, 'lead')

),

closed as (

    select
        opportunity_id,
        coalesce(industry, 'unknown') as industry,
        process_regime,
        furthest_open_stage_order,
        is_won
    from opportunities
    where is_closed = 1

),

-- closed opportunities per industry, regime and every stage they reached
stratum_totals as (

    select
        closed.industry,
        closed.process_regime,
        stages.stage_order,
        count(*) as closed_count,
        sum(closed.is_won) as won_count
    from closed
    inner join stages
        on stages.stage_order <= closed.furthest_open_stage_order
    group by closed.industry, closed.process_regime, stages.stage_order

),

uses_with_group as (

    select
        first_uses.card_id,
        'all' as rep_group,
        first_uses.opportunity_id
    from first_uses

    union all

    select
        first_uses.card_id,
        'top_reps' as rep_group,
        first_uses.opportunity_id
    from first_uses
    where first_uses.is_top_rep_use

),

used as (

    select
        uses_with_group.card_id,
        uses_with_group.rep_group,
        closed.industry,
        closed.process_regime,
        card_stages.stage,
        card_stages.stage_order,
        count(*) as used_count,
        sum(closed.is_won) as used_won_count
    from uses_with_group
    inner join card_stages
        on card_stages.card_id = uses_with_group.card_id
    inner join closed
        on closed.opportunity_id = uses_with_group.opportunity_id
        and closed.furthest_open_stage_order >= card_stages.stage_order
    group by
        uses_with_group.card_id,
        uses_with_group.rep_group,
        closed.industry,
        closed.process_regime,
        card_stages.stage,
        card_stages.stage_order

),

-- every user of the card in the stratum, whoever used it: left out of the comparables
all_users as (

    select * from used where rep_group = 'all'

)

select
    -- stratum
    used.card_id,
    used.rep_group,
    used.industry,
    used.stage,
    used.stage_order,
    used.process_regime,
    -- used
    used.used_count,
    used.used_won_count,
    -- comparable: reached the card's stage, never used the card
    stratum_totals.closed_count - all_users.used_count as comparable_count,
    stratum_totals.won_count - all_users.used_won_count as comparable_won_count
from used
inner join all_users
    on all_users.card_id = used.card_id
    and all_users.industry = used.industry
    and all_users.process_regime = used.process_regime
inner join stratum_totals
    on stratum_totals.industry = used.industry
    and stratum_totals.process_regime = used.process_regime
    and stratum_totals.stage_order = used.stage_order
