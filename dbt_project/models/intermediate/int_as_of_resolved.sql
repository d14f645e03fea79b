-- The one place the as_of date is resolved (macros/as_of_date.sql): the `as_of` var, or
-- the latest fact date of any kind when none is given. Every as-of model reads it from here, so
-- a build's figures and its as_of label always agree.
select cast({{ as_of_date() }} as date) as as_of
