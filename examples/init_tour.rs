//! Document 003 (`../shared/seeds/003_b50f8c3b1642574a.txt`), a notebook tour of
//! `torch.nn.init`: `calculate_gain('relu')`, then `X = torch.empty(2, 3)` through uniform_,
//! normal_, constant_, eye_ (also on the (3, 2) reshape), dirac_ on (2, 3, 4), Xavier with the
//! relu and sigmoid gains, Kaiming with its defaults, orthogonal_ and sparse_, each cell's value
//! printed as the notebook shows it (`examples/tutorials/tour.rs` has the steps).
//!
//! Run: `cargo run --release --example init_tour`

#[path = "tutorials/tour.rs"]
#[allow(dead_code)] // the other document's tour
mod tour;

use init_candle::Generator;

fn main() -> init_candle::Result<()> {
    // PyTorch draws from its global generator; here one seeded generator serves every cell.
    let steps = tour::notebook_tour(&mut Generator::new(0))?;
    tour::print(&steps)
}
