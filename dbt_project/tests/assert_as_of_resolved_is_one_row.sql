-- Every as-of model cross joins int_as_of_resolved: more or fewer than one row would
-- multiply or empty them.
select count(*) as row_count
from {{ ref('int_as_of_resolved') }}
having count(*) <> 1
