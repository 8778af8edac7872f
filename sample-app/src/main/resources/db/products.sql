-- The products of the sample's postgres profile, run at every start (spring.sql.init in
-- application-postgres.yml): it creates what is missing and leaves existing rows as they are.

CREATE TABLE IF NOT EXISTS public.products (
    id         bigint PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    -- The first letter of the name, lower case: the category by which ProductService tags its
    -- searches (ProductService.category). Set by the trigger below, also when a name is changed
    -- with psql, so that the change-data-capture mapping can evict the tag category:<category>.
    category   text NOT NULL,
    price      numeric(12, 2) NOT NULL CHECK (price >= 0),
    available  integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Updates and deletes carry the whole old row, so the old category's searches are evicted too.
ALTER TABLE public.products REPLICA IDENTITY FULL;

CREATE OR REPLACE FUNCTION public.products_category() RETURNS trigger LANGUAGE plpgsql AS
    'BEGIN NEW.category := lower(left(NEW.name, 1)); RETURN NEW; END';

CREATE OR REPLACE TRIGGER products_category BEFORE INSERT OR UPDATE ON public.products
    FOR EACH ROW EXECUTE FUNCTION public.products_category();

-- The same products as InMemoryProductRepository.
INSERT INTO public.products (id, name, price, available) VALUES
    (1, 'Espresso machine', 249.00, 12),
    (2, 'Espresso cups (set of 4)', 19.90, 40),
    (3, 'Coffee grinder', 89.50, 7),
    (4, 'Coffee beans, 1 kg', 24.00, 150),
    (5, 'Milk frother', 39.99, 0)
ON CONFLICT (id) DO NOTHING;
